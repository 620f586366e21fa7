"""/docs: Swagger UI served from this installation (FastAPI's default loads it from a CDN)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import (
    get_swagger_ui_html,
    get_swagger_ui_oauth2_redirect_html,
)
from fastapi.responses import HTMLResponse

from api.auth import Public
from api.static import SWAGGER_PREFIX

router = APIRouter(include_in_schema=False)


@router.get("/docs", dependencies=[Public])
def swagger_ui(request: Request) -> HTMLResponse:
    """The API's description: no data in it, so anyone may read it (scripts, QGIS)."""
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} · API",
        swagger_js_url=f"{SWAGGER_PREFIX}/swagger-ui-bundle.js",
        swagger_css_url=f"{SWAGGER_PREFIX}/swagger-ui.css",
        swagger_favicon_url="/favicon.ico",
        oauth2_redirect_url="/docs/oauth2-redirect",
    )


@router.get("/docs/oauth2-redirect", dependencies=[Public])
def swagger_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()
