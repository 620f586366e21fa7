"""Domain packages plug in through one description, found the same way by CLI, app, Alembic and audit."""

from __future__ import annotations

from typer.main import get_command

from api.cli import app as cli
from api.main import create_app
from memorials import domains
from memorials.db import Base
from memorials.settings import Settings
from tests.api.test_route_permissions import app_routes


def test_inspections_is_found_as_a_domain_package():
    names = [p.name for p in domains.discover()]
    assert "inspections" in names
    inspections = next(p for p in domains.discover() if p.name == "inspections")
    assert inspections.label == "巡查" and inspections.audit_resolver in domains.audit_resolvers()


def test_models_cli_and_routers_of_every_package_are_plugged_in(tmp_path):
    domains.import_models()
    assert {"inspections", "attachments", "defects"} <= set(Base.metadata.tables)
    commands = set(get_command(cli).commands)
    assert {"report", "fsck", "map", "init", "user"} <= commands
    app = create_app(Settings(data_dir=tmp_path, tiles="none"))
    mounted = {path for _method, path, _route in app_routes(app)}
    for package in domains.discover():
        for path in package.routers:
            router = domains.load_object(path)
            assert {r.path for r in router.routes} <= mounted, path
