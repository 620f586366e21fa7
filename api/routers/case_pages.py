"""Pages of case work, in Chinese, for case officers (and read-only for other roles)."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
