"""Bring a database to the latest schema revision (Alembic), and say which it is.

The core's revisions live in ``migrations/versions``; each domain package may
keep its own branch (``DomainPackage.migrations``), so a database has one head
per branch. A revision is reported as the sorted heads joined by ``+``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
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


def _migrate(engine: Engine, run: Callable[[Config], None]) -> None:
    """Run ``run`` on one connection in one transaction.

    On SQLite a migration that alters a table copies it (Alembic's batch
    mode) and drops the old one while other tables' foreign keys still
    name it (a defect's inspection), which ``PRAGMA foreign_keys = ON``
    refuses. As SQLite's own procedure for altering tables says, the checks
    go off outside the transaction, and every key is checked
    (``foreign_key_check``) before it commits.
    """
    cfg = _config()
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        if sqlite:  # on the driver's connection: a PRAGMA inside a transaction does nothing
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
        try:
            with conn.begin():
                cfg.attributes["connection"] = conn
                run(cfg)
                if sqlite and (broken := conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()):
                    raise RuntimeError(f"the migration would break foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]


def upgrade(engine: Engine, revision: str = "heads") -> None:
    """Apply every migration up to ``revision`` (every branch's head by default) in one transaction."""
    _migrate(engine, lambda cfg: command.upgrade(cfg, revision))


def downgrade(engine: Engine, revision: str) -> None:
    """Undo the migrations after ``revision``, in one transaction (a migration may refuse, then nothing changes)."""
    _migrate(engine, lambda cfg: command.downgrade(cfg, revision))
