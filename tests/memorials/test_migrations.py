"""The migrations build exactly the schema the models describe, on both backends."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import inspections.models  # noqa: F401  (registers the inspection tables on Base.metadata)
from memorials.db import Base
from memorials.migrate import current_revision, head_revision, upgrade

pytestmark = pytest.mark.both_backends


def _ignored(diff) -> bool:
    # The spatial index columns/tables live beside the models on purpose.
    text = repr(diff)
    return any(name in text for name in ("facility_rtree", "'geom'", "'geog'", "ix_facilities_geom",
                                         "ix_facilities_geog", "spatial_ref_sys"))


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geo:sqlalchemy.exc.SAWarning")
def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if not _ignored(d)]
    assert diffs == []


def test_database_is_at_head_and_upgrade_is_idempotent(engine):
    assert current_revision(engine) == head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()
