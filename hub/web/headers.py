"""Security headers on every response of the hub: pages, API, static files, errors.

The pages are plain forms with two scripts of our own (``static/lane.js``, ``print.js``)
and one stylesheet, so the Content-Security-Policy allows only the hub's own files: no
inline script or style, no plugins, no ``<base>``, forms posting only here, and no
framing (``frame-ancestors``, and ``X-Frame-Options`` for older browsers).  Booking
references are in URLs, so no Referer leaves the hub.

Swagger UI and ReDoc (``/docs``, ``/redoc``) load their scripts from a CDN and start with
an inline script.  A production hub does not serve them (:func:`docs_enabled`): a CDN's
script on the officers' origin could act with their session.  A development hub serves
them under a policy relaxed for those two paths only.

HSTS is sent when the request came over TLS, that is, when its scheme is https.
uvicorn makes it so when it terminates TLS itself, or when the reverse proxy in front of
it is one it trusts (``forwarded_allow_ips``, default 127.0.0.1) and sends
``X-Forwarded-Proto: https``: the same setup that lets the ``Secure`` cookies of
production reach the browser.  Browsers ignore HSTS over plain HTTP (RFC 6797, 8.1),
and sending it only over TLS never pins a name that has no certificate.

Every 429 of the hub comes from a sliding window of one minute
(:mod:`hub.queue.ratelimit`); after that long the client is let in again, and a 429
says so in ``Retry-After`` unless it set its own.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.config import HubSettings
from hub.queue.ratelimit import WINDOW_S

_COMMON = "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
CSP = f"default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; {_COMMON}"
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    "font-src https://fonts.gstatic.com; img-src 'self' data: https://fastapi.tiangolo.com "
    f"https://cdn.redoc.ly; worker-src blob:; {_COMMON}"
)
DOCS = ("/docs", "/redoc")
HSTS = "max-age=31536000; includeSubDomains"
_ALWAYS = {"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff",
           "Referrer-Policy": "no-referrer"}  # fmt: skip


def docs_enabled(settings: HubSettings) -> bool:
    """Whether the hub serves ``/docs`` and ``/redoc`` (not in production)."""
    return settings.env != "production"


class SecurityHeaders:
    """ASGI middleware: the headers above on every HTTP response (a route's own win);
    ``docs`` when the app serves its docs pages, which get their own policy."""

    def __init__(self, app: ASGIApp, docs: bool = False) -> None:
        self.app = app
        self.docs = docs

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add the headers to the response as it starts."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        docs = self.docs and (path in DOCS or path.startswith("/docs/"))
        tls = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", DOCS_CSP if docs else CSP)
                for name, value in _ALWAYS.items():
                    headers.setdefault(name, value)
                if tls:
                    headers.setdefault("Strict-Transport-Security", HSTS)
                if message["status"] == 429:
                    headers.setdefault("Retry-After", str(int(WINDOW_S)))
            await send(message)

        await self.app(scope, receive, send_with_headers)
