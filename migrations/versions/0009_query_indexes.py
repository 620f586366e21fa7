"""Indexes for a national registry's searches and deep pages; martyrs' pinyin initials.

* ``martyrs.name_initials`` (张德胜 → ``zds``, ``|`` between variants), filled
  here for the martyrs already registered (and by ``fill_initials`` for rows
  a bulk load wrote without it), indexed with the name
  (``ix_martyrs_initials_name``): a search by initials reads its first page
  in index order, however many names share the initials.
* ``ix_martyrs_name_key_tail`` on ``substr(name_key, 2)``: a query of one
  or two characters finds names whose given name starts with it (德胜 →
  张德胜) through a range; a trigram index needs three characters.
* ``ix_martyrs_name_id`` (name, id): the martyr list's order, so its pages
  (and the keyset cursor after ``(name, id)``) come from the index.
* ``ix_audit_entries_entity_at`` (entity, entity_id, at, id) instead of
  (entity, entity_id): one record's history, newest first, with no sort.
* PostgreSQL only: ``pg_trgm`` and a GIN trigram index on ``martyrs.name_key``
  (``ix_martyrs_name_key_trgm``) for substring (``LIKE '%德胜%'``) and fuzzy
  (``%``, ``similarity()``) name searches; SQLite scans its small tables.

Revision ID: 0009_query_indexes
Revises: 0008_rate_counters
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_query_indexes"
down_revision = "0008_rate_counters"
branch_labels = None
depends_on = None

BATCH = 5_000


def upgrade() -> None:
    from memorials.text import pinyin_initials

    bind = op.get_bind()
    with op.batch_alter_table("martyrs") as batch:
        batch.add_column(sa.Column("name_initials", sa.String(60), nullable=True))
    martyrs = sa.table("martyrs", sa.column("id", sa.Integer), sa.column("name", sa.String),
                       sa.column("name_variants", sa.JSON), sa.column("name_initials", sa.String))
    last = 0
    while True:
        rows = bind.execute(sa.select(martyrs.c.id, martyrs.c.name, martyrs.c.name_variants)
                            .where(martyrs.c.id > last).order_by(martyrs.c.id).limit(BATCH)).all()
        if not rows:
            break
        bind.execute(sa.update(martyrs).where(martyrs.c.id == sa.bindparam("b_id"))
                     .values(name_initials=sa.bindparam("b_initials")),
                     [{"b_id": r.id, "b_initials": pinyin_initials(r.name, *(r.name_variants or []))} for r in rows])
        last = rows[-1].id
    op.create_index("ix_martyrs_initials_name", "martyrs", ["name_initials", "name", "id"])
    op.create_index("ix_martyrs_name_id", "martyrs", ["name", "id"])
    # A two-character query (德胜) is a given name: its range on the key after the first character.
    op.execute("CREATE INDEX ix_martyrs_name_key_tail ON martyrs (substr(name_key, 2))")
    op.create_index("ix_audit_entries_entity_at", "audit_entries", ["entity", "entity_id", "at", "id"])
    op.drop_index("ix_audit_entries_entity", table_name="audit_entries")
    if bind.dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_martyrs_name_key_trgm ON martyrs USING gin (name_key gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_martyrs_name_key_trgm")
    op.create_index("ix_audit_entries_entity", "audit_entries", ["entity", "entity_id"])
    op.drop_index("ix_audit_entries_entity_at", table_name="audit_entries")
    op.drop_index("ix_martyrs_name_id", table_name="martyrs")
    op.drop_index("ix_martyrs_name_key_tail", table_name="martyrs")
    op.drop_index("ix_martyrs_initials_name", table_name="martyrs")
    with op.batch_alter_table("martyrs") as batch:
        batch.drop_column("name_initials")
