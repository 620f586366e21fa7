"""Pages of the repairs (修缮项目)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
