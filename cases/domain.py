"""The cases package, as the core and the app find it (entry point ``memorials.domains``)."""

from __future__ import annotations

from cases.cli import register
from cases.demo.loader import load_demo
from cases.models import CASE_DOCUMENT, CONSENT_DOCUMENT, EXHUMATION_PHOTO, REBURIAL_PHOTO, SEARCH_EVIDENCE
from cases.visibility import case_ids, consent_ids, entry_ids, resolve
from memorials.domains import DomainPackage

DOMAIN = DomainPackage(
    name="cases",
    label="迁葬与寻亲",
    models=("cases.models",),
    cli=register,
    audit_resolver=resolve,
    routers=("api.routers.cases:router", "api.routers.case_pages:router"),
    attachment_owners={CONSENT_DOCUMENT: consent_ids, CASE_DOCUMENT: case_ids, EXHUMATION_PHOTO: case_ids,
                       REBURIAL_PHOTO: case_ids, SEARCH_EVIDENCE: entry_ids},
    integrity_checks=("cases.integrity:audited_states",),
    migrations="cases.migrations",
    demo=load_demo,
)
