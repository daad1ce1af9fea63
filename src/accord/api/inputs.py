"""Input hygiene shared by every route: text the database cannot store never reaches it.

PostgreSQL refuses NUL characters in text: string parameters declare ``pattern=NO_NUL`` (so
the OpenAPI document says so), and a NUL anywhere in the path or the query string is answered
422 in FastAPI's validation-error shape before any route runs (the console's pages too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import unquote, unquote_plus

from fastapi import Request, Response, status
from fastapi.responses import JSONResponse

NO_NUL = r"^[^\x00]*$"
WORDS = r"^[^\x00]*[^\s\x00][^\x00]*$"
"""Some text that is not only whitespace, and no NUL."""


def nul_in(request: Request) -> str | None:
    """Which part of the request holds a NUL character, if any."""
    if "\x00" in unquote(request.url.path):
        return "path"
    if "\x00" in unquote_plus(request.url.query):
        return "query"
    return None


async def reject_nul(request: Request,
                     call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    part = nul_in(request)
    if part is not None:
        error = {"loc": [part], "msg": "NUL characters are not allowed", "type": "value_error"}
        return JSONResponse({"detail": [error]},
                            status_code=status.HTTP_422_UNPROCESSABLE_CONTENT)
    return await call_next(request)


__all__ = ["NO_NUL", "WORDS", "nul_in", "reject_nul"]
