"""Documented error answers, so the OpenAPI document lists every status a route can give."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class ErrorBody(BaseModel):
    """Every refusal: ``detail`` names the field or input at fault and what is wrong."""

    detail: str


DESCRIPTIONS = {
    400: "malformed or unverifiable input",
    401: "missing, unknown or revoked token",
    403: "the token's role or scopes may not do this",
    404: "no such resource",
    409: "the resource is not in a state that allows this (already closed, name taken)",
    413: "body over the size limit",
    429: "too many requests that reach a vendor: wait Retry-After seconds",
    503: "a dependency (engine, database, configuration) is unavailable",
}


def documented(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for ``codes``, each with the :class:`ErrorBody` shape."""
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in codes}


AUTHENTICATED = documented(401, 403)

__all__ = ["AUTHENTICATED", "ErrorBody", "documented"]
