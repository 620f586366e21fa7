"""The inspections package, as the core and the app find it (entry point ``memorials.domains``)."""

from __future__ import annotations

from inspections.cli import register
from inspections.visibility import resolve
from memorials.domains import DomainPackage

DOMAIN = DomainPackage(
    name="inspections",
    label="巡查",
    models=("inspections.models",),
    cli=register,
    audit_resolver=resolve,
    routers=("api.routers.inspections:router", "api.routers.inspection_pages:router"),
)
