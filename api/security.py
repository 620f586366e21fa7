"""Security headers on every response, with a per-request script nonce.

Our own pages load scripts only from this site (``/static/…``). The only
inline scripts are those Folium writes into a map; they carry the request's
nonce (``request.state.csp_nonce``, see ``maps.facilities.render_html``),
and no other inline script runs: an injected ``<script>`` or ``onerror=`` is refused by
the browser even if some text escaped escaping. Styles may be inline
(Leaflet and Folium position elements with them); tiles may come only from
the configured tile server.
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_TEMPLATE_PART = re.compile(r"\{[^}]*\}")


def tile_origins(urls: list[str]) -> list[str]:
    """CSP source expressions for tile URL templates.

    >>> tile_origins(["https://webrd0{s}.is.autonavi.com/appmaptile?x={x}"])
    ['https://*.is.autonavi.com']
    >>> tile_origins(["https://tile.openstreetmap.org/{z}/{x}/{y}.png"])
    ['https://tile.openstreetmap.org']
    """
    out: list[str] = []
    for url in urls:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not parts.scheme or not host:
            continue
        if _TEMPLATE_PART.search(host.split(".", 1)[0]) or "{" in host:
            host = "*." + host.split(".", 1)[1]
        port = f":{parts.port}" if parts.port else ""
        source = f"{parts.scheme}://{host}{port}"
        if source not in out:
            out.append(source)
    return out


def content_security_policy(nonce: str, *, image_sources: list[str]) -> str:
    images = " ".join(["'self'", "data:", "blob:", *image_sources])
    return "; ".join([
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        "style-src 'self' 'unsafe-inline'",
        f"img-src {images}",
        "font-src 'self' data:",
        "connect-src 'self'",
        "worker-src 'self'",
        "manifest-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'self'",
    ])


class SecurityHeaders:
    """ASGI middleware: CSP with a fresh nonce, framing, sniffing and referrer rules."""

    def __init__(self, app: ASGIApp, *, image_sources: list[str]) -> None:
        self.app = app
        self.image_sources = image_sources

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(18)
        scope.setdefault("state", {})["csp_nonce"] = nonce
        headers = [
            (b"content-security-policy",
             content_security_policy(nonce, image_sources=self.image_sources).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"SAMEORIGIN"),
            (b"referrer-policy", b"same-origin"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
        ]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (name, value) for name, value in headers if name not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)
