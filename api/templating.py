"""Jinja2 templates for the Chinese pages, with the labels they show."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import StrictUndefined
from starlette.responses import HTMLResponse

from memorials import clock
from memorials.permissions import ROLE_LABELS, Permission, allowed
from memorials.vocab import (
    DIVISION_LEVEL_LABELS,
    GENDER_LABELS,
    KIND_LABELS,
    LEVEL_LABELS,
    STATUS_LABELS,
)

TEMPLATES_DIR = Path(__file__).parent / "templates"

templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
# A missing value is a bug to see in tests, not an empty space on a page.
templates.env.undefined = StrictUndefined


def _local_time(value: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(clock.zone()).strftime(fmt)


templates.env.filters["local_time"] = _local_time
templates.env.globals.update(
    KIND_LABELS=KIND_LABELS,
    LEVEL_LABELS=LEVEL_LABELS,
    STATUS_LABELS=STATUS_LABELS,
    GENDER_LABELS=GENDER_LABELS,
    DIVISION_LEVEL_LABELS=DIVISION_LEVEL_LABELS,
    ROLE_LABELS=ROLE_LABELS,
    Permission=Permission,
)


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page; every page knows who is signed in and their CSRF token."""
    who = getattr(request.state, "signed_in", None)
    base = {
        "request": request,
        "who": who,
        "csrf_token": who.csrf_token if who else "",
        "can": (lambda perm: who is not None and allowed(who.actor.role, perm)),
    }
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
