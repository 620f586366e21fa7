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
                                         "ix_facilities_geog", "spatial_ref_sys", "facility_zone_rtree",
                                         "_geom'", "ix_facilities_footprint_geom",
                                         "ix_facilities_protection_zone_geom", "_trgm", "name_key_tail"))


@pytest.mark.filterwarnings("ignore:Did not recognize type 'geo:sqlalchemy.exc.SAWarning")
@pytest.mark.filterwarnings("ignore:Skipped unsupported reflection of expression-based index:sqlalchemy.exc.SAWarning")
def test_models_and_migrations_agree(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = [d for d in compare_metadata(ctx, Base.metadata) if not _ignored(d)]
    assert diffs == []


def test_database_is_at_head_and_upgrade_is_idempotent(engine):
    assert current_revision(engine) == head_revision()
    upgrade(engine)
    assert current_revision(engine) == head_revision()


PROBE_REVISION = '''
"""A throwaway domain's first revision: its own branch, needing the core's evidence tables."""
import sqlalchemy as sa
from alembic import op

revision = "probe_0001"
down_revision = "0005_evidence"
branch_labels = ("probe",)


def upgrade():
    op.create_table("probe_things", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("attachment_id", sa.Integer, sa.ForeignKey("attachments.id")))


def downgrade():
    op.drop_table("probe_things")
'''


def test_a_domain_branch_is_found_upgraded_and_reported_beside_the_core(tmp_path, monkeypatch):
    """A domain package's migrations (DomainPackage.migrations) form their own branch: no shared chain to collide in."""
    from sqlalchemy import create_engine, inspect

    from memorials import domains, migrate

    branch = tmp_path / "probe_migrations"
    branch.mkdir()
    (branch / "probe_0001.py").write_text(PROBE_REVISION)
    monkeypatch.setattr(domains, "migration_locations", lambda: [str(branch)])
    engine = create_engine(f"sqlite:///{tmp_path / 'probe.sqlite'}")
    migrate.upgrade(engine)
    assert "probe_things" in inspect(engine).get_table_names()
    # The branch grows from the core's 0005, so 0005 is no longer a head of its own.
    heads = migrate.head_revision()  # the probe's head beside any core revision that also grows from 0005
    assert migrate.current_revision(engine) == heads and "probe_0001" in heads.split("+")
    migrate.downgrade(engine, "0004_photo_reuse")  # the domain's branch grows from 0005, so it goes first
    assert "probe_things" not in inspect(engine).get_table_names()
    assert migrate.current_revision(engine) == "0004_photo_reuse"
    engine.dispose()
