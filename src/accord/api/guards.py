"""Browser-facing guards shared by the console and the API.

Cross-site request forgery: the console signs in with a cookie, which a browser sends with
any request to the host, also from a page on another port of the same host (SameSite does
not separate ports). Every unsafe request (POST, PUT, PATCH, DELETE) to the console, or to
the API carrying the console's cookie, must therefore come from the app's own origin: its
``Origin`` header (or, when a browser sends none, its ``Referer``) must name the host and
port the request was sent to. Anything else is answered 403 before a route runs. API
clients that send a bearer token and no cookie are not browsers and are not checked.

Redirects after a console action go back only to a page of the console on the same origin,
as a relative path: never to whatever a ``Referer`` names.

Every response carries :data:`SECURITY_HEADERS`: a content security policy that admits only
the app's own scripts and styles and no framing, ``nosniff``, a same-origin referrer policy,
and ``Cache-Control: no-store`` on everything but the console's static files (pages and API
answers hold business data a shared cache must not keep).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; "
       # the KPI page draws its usage bars with a width attribute; no inline <style>/<script>
       "style-src-attr 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
       "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
CACHEABLE = "/console/static/"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
CONSOLE = "/console"


def _origin_of(url: str) -> tuple[str, str] | None:
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        return None
    return parts.scheme, parts.netloc.lower()


def same_origin(request: Request) -> bool:
    """Whether the request's ``Origin`` (else ``Referer``) names the host it was sent to."""
    host = request.headers.get("host", "").lower()
    claimed = request.headers.get("origin") or request.headers.get("referer")
    if not host or not claimed or claimed == "null":
        return False
    origin = _origin_of(claimed)
    return origin is not None and origin[1] == host


def needs_origin_check(request: Request, cookie: str) -> bool:
    if request.method in SAFE_METHODS:
        return False
    path = request.url.path
    # the API takes the console's cookie as a credential too (webhooks never do)
    return path.startswith(CONSOLE) or (path.startswith("/v1/") and cookie in request.cookies
                                        and "authorization" not in request.headers)


def csrf_guard(cookie: str) -> Callable[[Request, Callable[[Request], Awaitable[Response]]],
                                        Awaitable[Response]]:
    """Middleware refusing cross-origin unsafe requests from browsers (403)."""

    async def guard(request: Request,
                    call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        if needs_origin_check(request, cookie) and not same_origin(request):
            return JSONResponse({"detail": "origin: a form may only be sent from this "
                                           "console's own pages (Origin or Referer)"},
                                status_code=status.HTTP_403_FORBIDDEN)
        return await call_next(request)

    return guard


async def security_headers(request: Request,
                           call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware adding :data:`SECURITY_HEADERS` (and ``no-store``) to every response."""
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith(CACHEABLE):
        response.headers["Cache-Control"] = "no-store"
    return response


def back_to(request: Request, default: str) -> str:
    """Where to send the browser after an action: the console page it came from (path and
    query only, when the ``Referer`` is this origin's console), else ``default``."""
    referer = request.headers.get("referer", "")
    try:
        parts = urlsplit(referer)
    except ValueError:
        return default
    if parts.netloc.lower() != request.headers.get("host", "").lower() or \
            not parts.path.startswith(CONSOLE) or parts.path.startswith("//"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


__all__ = ["CSP", "SECURITY_HEADERS", "back_to", "csrf_guard", "needs_origin_check",
           "same_origin", "security_headers"]
