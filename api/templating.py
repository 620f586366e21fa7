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
FIELD_LABELS = {
    "code": "登记编号", "name": "名称/姓名", "kind": "类型", "protection_level": "保护级别", "status": "状态",
    "division_code": "所在区划", "address": "地址", "longitude": "经度", "latitude": "纬度", "custodian": "管护单位",
    "custodian_person": "管护责任人", "patrol_interval_days": "巡查周期（天）", "description": "简介",
    "relocated_to_id": "迁入设施", "name_variants": "曾用名", "gender": "性别", "ethnicity": "民族",
    "birth_date": "出生时间", "death_date": "牺牲时间", "hometown": "籍贯", "hometown_division_code": "籍贯区划",
    "unit": "部队及单位", "rank": "职务", "place_of_death": "牺牲地点", "battle": "牺牲战役",
    "certificate_no": "证书编号", "biography": "简要事迹", "facility_id": "设施", "martyr_id": "烈士", "plot": "墓位",
    "since": "安葬时间", "until": "迁出时间", "note": "备注", "relation": "关系", "phone": "电话",
    "id_number": "身份证号",
}
"""Chinese names of the audited fields, for change histories."""

templates.env.globals.update(
    FIELD_LABELS=FIELD_LABELS,
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
