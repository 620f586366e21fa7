"""Domain packages plug in here: one declared description each.

A domain package (``inspections``, and later ``repairs``, ``cases``,
``commemoration``) describes itself once, in a ``DomainPackage`` named by
an entry point of the group ``memorials.domains`` in ``pyproject.toml``::

    [project.entry-points."memorials.domains"]
    inspections = "inspections.domain:DOMAIN"

``evidence`` (photos and documents for every domain) registers the same
way for its table, its command and its router, though it is the layer below
the domains; the domains register there the owner types of their
attachments. The CLI shell, the web app, Alembic and the tests all find
the packages through ``discover()``; the core never imports a package above it. Routers
are named as ``"module:attribute"`` strings, so that neither the core nor
the domain package imports ``api``: the app imports them.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select
from sqlalchemy.orm import Session

from memorials import list_jobs
from memorials.actors import Actor
from memorials.jobs import JobKind
from memorials.settings import Settings

if TYPE_CHECKING:
    from memorials.demo.bulk import SyntheticRun

ENTRY_POINT_GROUP = "memorials.domains"

AuditResolver = Callable[[Session, Actor, str, int], "bool | None"]
"""May this actor see entity ``(name, id)``? None when the entity is not this package's."""

OwnerScope = Callable[[Actor], "Select[tuple[int]]"]
"""The ids of one owner type's rows whose attachments this actor may see (jurisdiction, and role if need be)."""

CliRegistrar = Callable[[Any], None]
"""Adds the package's commands to the Typer app (they open sessions with ``memorials.cli.open_session``)."""

DemoLoader = Callable[[Session, Settings], str]
"""Adds the package's part of the demo district (after the core's); answers one line for the console."""


@dataclass(frozen=True)
class DomainPackage:
    name: str
    label: str
    """What the package is about, in Chinese (巡查, 修缮, …)."""
    models: tuple[str, ...] = ()
    """Modules whose import registers the package's tables on ``Base.metadata``."""
    cli: CliRegistrar | None = None
    audit_resolver: AuditResolver | None = None
    routers: tuple[str, ...] = field(default_factory=tuple)
    """``"module:attribute"`` of each FastAPI router (API and pages) the app mounts."""
    attachment_owners: Mapping[str, OwnerScope] = field(default_factory=dict, hash=False)
    """Owner types this package attaches photos and documents to (``evidence``), with who may see them."""
    demo: Callable[[Session], object] | None = None
    """Adds the package's fictional demo records to the demo district, with the registry's (``memorials demo``
    and the tests' demo databases): a few records that show the package's pages."""
    demo_history: DemoLoader | None = None
    """Loads a long fictional history with its files (a year of repairs and their photos), only from
    ``memorials demo``; idempotent; kept out of the tests' demo databases so their figures stay small."""
    synthetic: Callable[[SyntheticRun], str] | None = None
    """Adds synthetic records for the synthetic facilities just written (``run.facilities``), in bulk
    (``run.bulk``: COPY on PostgreSQL), reproducibly from ``run.rng(name)`` and ``run.as_of``
    (``memorials demo --synthetic``: benchmarks at national scale); answers one line for the console."""
    integrity_checks: tuple[str, ...] = ()
    """``"module:attribute"`` of each check ``memorials fsck`` runs on this package's records
    (:data:`memorials.integrity.IntegrityCheck`: reads the session, answers findings, changes nothing)."""
    jobs: Mapping[str, JobKind] = field(default_factory=dict, hash=False)
    """Reports this package can make in the background (``memorials.jobs``), by kind name."""
    migrations: str | None = None
    """Package (``"repairs.migrations"``) holding the domain's own Alembic branch.

    Its first revision grows from the core revision it needs
    (``down_revision = "0005_evidence"``, ``branch_labels = ("repairs",)``); later
    ones follow in the branch. Domains add tables without sharing one revision
    chain, and ``memorials.migrate`` upgrades to every head.
    """


@cache
def discover() -> tuple[DomainPackage, ...]:
    """Every installed domain package, in name order."""
    found = []
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        package = entry.load()
        if not isinstance(package, DomainPackage):
            raise TypeError(f"entry point {entry.name} = {entry.value} is not a DomainPackage")
        found.append(package)
    return tuple(sorted(found, key=lambda p: p.name))


def import_models() -> None:
    """Register every domain package's tables on ``Base.metadata`` (Alembic, tests)."""
    for package in discover():
        for module in package.models:
            importlib.import_module(module)


def audit_resolvers() -> list[AuditResolver]:
    return [p.audit_resolver for p in discover() if p.audit_resolver is not None]


def attachment_owners() -> dict[str, OwnerScope]:
    """Every registered owner type of attachments, with its scope; a type claimed twice is an error."""
    owners: dict[str, OwnerScope] = {}
    for package in discover():
        for owner_type, scope in package.attachment_owners.items():
            if owner_type in owners:
                raise TypeError(f"attachment owner type {owner_type!r} is registered twice ({package.name})")
            owners[owner_type] = scope
    return owners


def integrity_checks() -> list[tuple[str, Callable[[Session], Any]]]:
    """Every registered integrity check, with the name of the package that registered it."""
    return [(p.name, load_object(path)) for p in discover() for path in p.integrity_checks]


def job_kinds() -> dict[str, JobKind]:
    """Every kind of background job: the core's own (``memorials.list_jobs``), then the installed packages'."""
    out: dict[str, JobKind] = dict(list_jobs.JOBS)
    for package in discover():
        for name, kind in package.jobs.items():
            if name in out:
                raise ValueError(f"two packages (or a package and the core) run jobs of kind {name!r}")
            out[name] = kind
    return out


def migration_locations() -> list[str]:
    """The directories of every domain package's own Alembic branch."""
    locations = []
    for package in discover():
        if package.migrations:
            module = importlib.import_module(package.migrations)
            locations.extend(module.__path__)
    return locations


def demo_loaders() -> list[Callable[[Session], object]]:
    return [p.demo for p in discover() if p.demo is not None]


def load_object(path: str) -> Any:
    """The object at ``"module:attribute"``."""
    module, _, attribute = path.partition(":")
    return getattr(importlib.import_module(module), attribute)
