"""FastAPI dependencies: a database session per request and bearer-token auth by role."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from accord.api.sessions import resolve_session
from accord.api.tokens import Access, Principal, Scope, authenticate
from accord.store import Database

bearer = HTTPBearer(auto_error=False, description="an API token from `accord tokens create`")


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def session(db: Annotated[Database, Depends(database)]) -> Iterator[Session]:
    with db.session() as opened:
        yield opened


SessionDep = Annotated[Session, Depends(session)]


COOKIE = "accord_session"
"""The console's cookie: an opaque session id (:mod:`accord.api.sessions`), not a token."""
MAX_ID = 2**63 - 1
"""The largest id (or offset) a route accepts: the database's 64-bit integer."""


def presented_token(request: Request,
                    credentials: HTTPAuthorizationCredentials | None) -> str | None:
    """The bearer token, or the console's session cookie."""
    if credentials is not None and credentials.scheme.lower() == "bearer":
        return credentials.credentials
    return request.cookies.get(COOKIE)


def _principal(opened: Session, presented: str, from_cookie: bool) -> Principal | None:
    """A bearer token is a token; the cookie is only ever a session id (a token pasted
    into the cookie does not sign in)."""
    if from_cookie:
        return resolve_session(opened, presented)
    return authenticate(opened, presented)


def require(role: Access, scope: Scope = Scope.READ) -> Callable[..., Principal]:
    """A dependency admitting tokens whose role is at least ``role`` and that hold
    ``scope`` (403 naming what is missing otherwise)."""

    def check(request: Request, db: Annotated[Database, Depends(database)],
              credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
              ) -> Principal:
        token = presented_token(request, credentials)
        if token is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                "missing bearer token: send Authorization: Bearer <token>",
                                headers={"WWW-Authenticate": "Bearer"})
        with db.session() as opened:
            principal = _principal(opened, token, from_cookie=not (
                credentials is not None and credentials.scheme.lower() == "bearer"))
        if principal is None:
            raise HTTPException(status.HTTP_401_UNAUTHORIZED,
                                "unknown, expired or revoked token or session",
                                headers={"WWW-Authenticate": "Bearer"})
        if not principal.role.allows(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {principal.role.value} may not do this; "
                                f"{role.value} or higher is required")
        if scope not in principal.scopes:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"scope: this token lacks the {scope.value!r} scope; create "
                                f"one with `accord tokens create --scope {scope.value}`")
        return principal

    return check


Viewer = Annotated[Principal, Depends(require(Access.VIEWER))]
"""Any valid token: reads."""
Operator = Annotated[Principal, Depends(require(Access.OPERATOR))]
"""An operator's read-only view or check (a probe, which calls a vendor)."""
ExceptionActor = Annotated[Principal, Depends(require(Access.OPERATOR, Scope.EXCEPTIONS))]
"""Resolves or ignores exceptions."""
Replayer = Annotated[Principal, Depends(require(Access.OPERATOR, Scope.REPLAY))]
"""Starts flows: retries, schedule runs, usage reports."""
Admin = Annotated[Principal, Depends(require(Access.ADMIN, Scope.ADMIN))]
"""Administers: tokens, configuration, reference data."""

__all__ = ["COOKIE", "MAX_ID", "Admin", "ExceptionActor", "Operator", "Replayer",
           "SessionDep", "Viewer", "database", "presented_token", "require", "session"]
