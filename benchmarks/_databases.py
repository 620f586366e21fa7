"""Scratch PostgreSQL databases for the benchmarks: made on the server an admin URL names, dropped after."""

from __future__ import annotations

import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


def scratch_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:8]}"


def create_database(admin_url: str, name: str) -> str:
    """Create database ``name`` on the server of ``admin_url``; its URL (same user and password)."""
    _run(admin_url, f'CREATE DATABASE "{name}"')
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def drop_database(admin_url: str, name: str) -> None:
    """Drop database ``name``, closing whatever sessions are still open on it."""
    _run(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _run(admin_url: str, statement: str) -> None:
    """One statement outside a transaction (``CREATE``/``DROP DATABASE`` cannot run inside one)."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(statement))
    finally:
        admin.dispose()
