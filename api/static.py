"""Static files: our own CSS/JS under /static/app, map libraries under /static/vendor."""

from __future__ import annotations

from pathlib import Path

import swagger_ui_bundle

from maps.assets import asset_directories

VENDOR_PREFIX = "/static/vendor"
SWAGGER_PREFIX = f"{VENDOR_PREFIX}/swagger-ui"


def vendor_mounts() -> list[tuple[str, Path, str]]:
    """(URL prefix, directory, route name) for each installed asset package.

    The map libraries (XStatic packages) and Swagger UI for ``/docs``
    (``swagger-ui-bundle-v2``), all from PyPI: nothing from a CDN.
    """
    mounts = [(f"{VENDOR_PREFIX}/{name}", directory, f"vendor-{name}") for name, directory in asset_directories()]
    mounts.append((SWAGGER_PREFIX, Path(str(swagger_ui_bundle.swagger_ui_path)), "vendor-swagger-ui"))
    return mounts
