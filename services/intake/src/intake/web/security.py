"""The desk's own headers: a strict Content-Security-Policy and friends on its pages.

The desk's pages run no inline script or style: every script is a static file (``script-src 'self'``);
map tiles, when configured, are the only other image source. Every service also has the shared
``sunmoon.http.SecurityHeaders`` (nosniff, frame, referrer, HSTS over HTTPS, a generic CSP for pages and
JSON). So that a desk response carries exactly ONE policy, and the desk's, whichever of the two middlewares
runs first: this one replaces a generic policy the shared one may have added (``PAGE_CSP``, ``JSON_CSP``)
and never adds a second; a policy a route set itself is kept. HSTS and the common headers are the shared
middleware's (this one adds the common ones only when missing, never twice). The API's /docs page (Swagger
UI, inline script) is outside /desk and keeps the shared rules.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from sunmoon.http import JSON_CSP, PAGE_CSP

DESK_PREFIX = "/desk"
CSP = b"content-security-policy"
GENERIC_CSP = {PAGE_CSP.encode(), JSON_CSP}  # the shared middleware's defaults: the desk's replaces them


def tile_source(tile_url: str) -> str:
    """The CSP source of a tile URL template: 'https://{s}.tile.example.org/{z}/{x}/{y}.png' ->
    'https://*.tile.example.org'."""
    if not tile_url:
        return ""
    parts = urlsplit(tile_url)
    host = re.sub(r"\{[a-z]\}", "*", parts.netloc)
    return f"{parts.scheme}://{host}" if parts.scheme in ("http", "https") and host else ""


def content_security_policy(tile_url: str) -> str:
    img = " ".join(x for x in ("'self'", "data:", tile_source(tile_url)) if x)
    return ("default-src 'self'; script-src 'self'; style-src 'self'; img-src " + img + "; connect-src 'self'; "
            "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware adding the headers to every HTTP response (streams included)."""

    def __init__(self, app: Any, tile_url: str = "") -> None:
        self.app = app
        self.common = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                       (b"referrer-policy", b"same-origin")]
        self.desk = [(b"content-security-policy", content_security_policy(tile_url).encode()),
                     (b"cross-origin-opener-policy", b"same-origin"),
                     (b"permissions-policy", b"camera=(), microphone=(), geolocation=()")]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path: str = scope.get("path", "")
        on_desk = path == DESK_PREFIX or path.startswith(DESK_PREFIX + "/")
        static = path.startswith(DESK_PREFIX + "/static/")

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                if on_desk:  # one policy per response: drop the generic ones, keep a route's own
                    headers = [(k, v) for k, v in headers if not (k.lower() == CSP and v in GENERIC_CSP)]
                present = {k.lower() for k, _ in headers}
                extra = self.common + (self.desk if on_desk else [])
                if on_desk and not static:
                    extra = extra + [(b"cache-control", b"no-store")]
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
