"""HTTP security headers every service sends (installed by each service's app factory).

* everywhere: ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy: same-origin``;
* over HTTPS (the request's scheme, so also behind a proxy that says ``X-Forwarded-Proto: https``):
  ``Strict-Transport-Security: max-age=31536000``;
* JSON answers: ``Content-Security-Policy: default-src 'none'; frame-ancestors 'none'`` (a JSON body is never
  a page; should a browser render one, nothing in it runs);
* HTML pages bring their own policy (the desk, the dashboard, the acknowledgement page: no inline script,
  inline style allowed only by its hash, see :func:`page_csp`); a page without one gets
  :data:`PAGE_CSP`. The /docs pages (Swagger UI from a CDN, with inline script) are left without a CSP.

A header the application already set is never replaced.
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

HSTS = b"max-age=31536000"
JSON_CSP = b"default-src 'none'; frame-ancestors 'none'"
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
            "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
DOCS_PATHS = ("/docs", "/redoc", "/docs/oauth2-redirect")


def style_hash(style: str) -> str:
    """The CSP source that allows exactly this inline ``<style>`` element's text: ``'sha256-…'``."""
    return "'sha256-" + base64.b64encode(hashlib.sha256(style.encode()).digest()).decode() + "'"


def page_csp(page: str) -> str:
    """A strict policy for a self-contained server-rendered page: no script at all, its own ``<style>``
    blocks allowed by hash (not 'unsafe-inline'), images from itself, forms posting to itself."""
    hashes = dict.fromkeys(style_hash(m) for m in re.findall(r"<style[^>]*>(.*?)</style>", page, re.S))
    styles = " ".join(hashes) or "'none'"
    return (f"default-src 'none'; style-src {styles}; img-src 'self' data:; "
            "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware: ``app.add_middleware(SecurityHeaders)``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.common = [(b"x-content-type-options", b"nosniff"), (b"x-frame-options", b"DENY"),
                       (b"referrer-policy", b"same-origin")]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        https = scope.get("scheme") == "https"
        docs = scope.get("path", "") in DOCS_PATHS

        async def send_with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers") or [])
                present = {k.lower(): v for k, v in headers}
                extra = list(self.common)
                if https:
                    extra.append((b"strict-transport-security", HSTS))
                ctype = present.get(b"content-type", b"")
                if ctype.startswith(b"application/json") or ctype.endswith(b"+json"):
                    extra.append((b"content-security-policy", JSON_CSP))
                elif ctype.startswith(b"text/html") and not docs:
                    extra.append((b"content-security-policy", PAGE_CSP.encode()))
                headers += [(k, v) for k, v in extra if k not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)
