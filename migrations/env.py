"""Alembic environment: runs on the connection handed in by ``memorials.migrate``."""

from __future__ import annotations

from alembic import context

# Importing the model modules registers their tables on Base.metadata.
import inspections.models  # noqa: F401
import memorials.models  # noqa: F401
from memorials.db import Base

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
