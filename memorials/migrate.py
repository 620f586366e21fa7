"""Bring a database to the latest schema revision (Alembic), and say which it is.

The core's revisions live in ``migrations/versions``; each domain package may
keep its own branch (``DomainPackage.migrations``), so a database has one head
per branch. A revision is reported as the sorted heads joined by ``+``.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

import migrations
from memorials import domains


def _config() -> Config:
    cfg = Config()
    root = Path(migrations.__file__).parent
    cfg.set_main_option("script_location", str(root))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option("version_locations", os.pathsep.join([str(root / "versions"), *domains.migration_locations()]))
    return cfg


def _joined(heads) -> str:
    return "+".join(sorted(heads))


def head_revision() -> str:
    heads = ScriptDirectory.from_config(_config()).get_heads()
    assert heads
    return _joined(heads)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return _joined(heads) if heads else None


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply every migration up to ``revision`` (every branch's head by default) in one transaction."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the migrations after ``revision``, in one transaction (a migration may refuse, then nothing changes)."""
    cfg = _config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)
