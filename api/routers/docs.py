"""/docs: Swagger UI served from this installation (FastAPI's default loads it from a CDN).

The page has no inline script (its start-up call is ``/static/app/swagger-init.js``),
so it runs under the same Content-Security-Policy as every other page.
"""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.auth import Public
from api.static import SWAGGER_PREFIX

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="{prefix}/swagger-ui.css">
<link rel="icon" href="/favicon.ico" type="image/svg+xml">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{prefix}/swagger-ui-bundle.js"></script>
<script src="/static/app/swagger-init.js"></script>
</body>
</html>
"""


@router.get("/docs", dependencies=[Public])
def swagger_ui(request: Request) -> HTMLResponse:
    """The API's description: no data in it, so anyone may read it (scripts, QGIS)."""
    return HTMLResponse(_PAGE.format(title=html.escape(f"{request.app.title} · API"), prefix=SWAGGER_PREFIX))
