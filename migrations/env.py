"""Alembic environment: runs on the connection handed in by ``memorials.migrate``."""

from __future__ import annotations

from alembic import context

import memorials.models  # noqa: F401  (registers the core's tables on Base.metadata)
from memorials import domains
from memorials.db import Base

domains.import_models()  # and every domain package's

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through memorials.migrate, which passes a connection")
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
