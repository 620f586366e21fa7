"""The commemoration package, as the core and the app find it (entry point ``memorials.domains``)."""

from __future__ import annotations

from commemoration.cli import register
from commemoration.demo import history as load_history
from commemoration.demo import load as load_demo
from commemoration.models import PROXY_OWNER
from commemoration.visibility import proxy_photo_owners, resolve
from memorials.domains import DomainPackage

DOMAIN = DomainPackage(
    name="commemoration",
    label="纪念活动",
    models=("commemoration.models",),
    cli=register,
    audit_resolver=resolve,
    routers=("api.routers.events:router", "api.routers.visits:router", "api.routers.event_pages:router",
             "api.routers.tribute:router"),
    attachment_owners={PROXY_OWNER: proxy_photo_owners},
    integrity_checks=("commemoration.integrity:proxy_visits",),
    migrations="commemoration.migrations",
    demo=load_demo,
    demo_history=load_history,
)
