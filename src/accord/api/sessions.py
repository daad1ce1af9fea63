"""Console sessions: the cookie holds an opaque random id, never the API token.

Signing in with a token opens a session row (the SHA-256 of the id, the token's id, an
expiry); each page resolves the cookie to the token's principal while the session and the
token are both valid. Signing out revokes the row at once, so a copied cookie stops
working; revoking the token ends its sessions too.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.api.tokens import Principal, principal_of
from accord.store.models import ConsoleSession, utcnow

SESSION_PREFIX = "ses_"
SESSION_LIFETIME = timedelta(hours=12)
"""A working day: the console signs out by itself after it."""


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def open_session(session: Session, principal: Principal,
                 lifetime: timedelta = SESSION_LIFETIME) -> str:
    """A new session for ``principal``; returns the id for the cookie (only time visible)."""
    session_id = SESSION_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    session.add(ConsoleSession(session_hash=_hash(session_id), token_id=principal.token_id,
                               created_at=now, expires_at=now + lifetime))
    session.flush()
    return session_id


def resolve_session(session: Session, session_id: str) -> Principal | None:
    """The principal of a live session (not revoked, not expired, its token still valid)."""
    row = session.scalars(select(ConsoleSession).where(
        ConsoleSession.session_hash == _hash(session_id),
        ConsoleSession.revoked_at.is_(None),
        ConsoleSession.expires_at > utcnow())).first()
    if row is None:
        return None
    return principal_of(session, row.token_id)


def close_session(session: Session, session_id: str) -> int | None:
    """Revoke the session; returns its token's id (None if it was not live)."""
    row = session.scalars(select(ConsoleSession).where(
        ConsoleSession.session_hash == _hash(session_id),
        ConsoleSession.revoked_at.is_(None))).first()
    if row is None:
        return None
    row.revoked_at = utcnow()
    return int(row.token_id)


__all__ = ["SESSION_LIFETIME", "SESSION_PREFIX", "close_session", "open_session",
           "resolve_session"]
