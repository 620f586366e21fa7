"""The inspections package, as the core and the app find it (entry point ``memorials.domains``)."""

from __future__ import annotations

from inspections.cli import register
from inspections.defects import photo_owners as defect_photo_owners
from inspections.ledger_jobs import KIND as LEDGER_KIND
from inspections.ledger_jobs import PATROL_LEDGER
from inspections.models import DEFECT_OWNER_TYPE, OWNER_TYPE
from inspections.synthetic import add_synthetic
from inspections.visibility import photo_owners, resolve
from memorials.domains import DomainPackage

DOMAIN = DomainPackage(
    name="inspections",
    label="巡查",
    models=("inspections.models",),
    cli=register,
    audit_resolver=resolve,
    routers=("api.routers.inspections:router", "api.routers.inspection_pages:router"),
    synthetic=add_synthetic,
    attachment_owners={OWNER_TYPE: photo_owners, DEFECT_OWNER_TYPE: defect_photo_owners},
    integrity_checks=("inspections.integrity:photo_counts",),
    jobs={LEDGER_KIND: PATROL_LEDGER},
)
