"""Static files: our own CSS/JS under /static/app, map libraries under /static/vendor."""

from __future__ import annotations

from pathlib import Path

from maps.assets import asset_directories

VENDOR_PREFIX = "/static/vendor"


def vendor_mounts() -> list[tuple[str, Path, str]]:
    """(URL prefix, directory, route name) for each installed asset package."""
    return [(f"{VENDOR_PREFIX}/{name}", directory, f"vendor-{name}") for name, directory in asset_directories()]
