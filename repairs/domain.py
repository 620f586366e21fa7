"""The repairs package, as the core and the app find it (entry point ``memorials.domains``)."""

from __future__ import annotations

from memorials.domains import DomainPackage
from repairs.cli import register
from repairs.demo import load as load_demo
from repairs.models import OWNER_TYPE
from repairs.visibility import evidence_owners, resolve

DOMAIN = DomainPackage(
    name="repairs",
    label="修缮",
    models=("repairs.models",),
    cli=register,
    audit_resolver=resolve,
    routers=("api.routers.repairs:router", "api.routers.repair_pages:router"),
    attachment_owners={OWNER_TYPE: evidence_owners},
    integrity_checks=("repairs.integrity:audited_states",),
    demo_history=load_demo,
    migrations="repairs.migrations",
)
