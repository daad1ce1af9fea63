"""API tokens: random, shown once, stored only as a SHA-256 digest, each with a role.

Roles are ordered: ``viewer`` reads, ``operator`` may also act on exceptions, ``admin`` may do
everything (including managing tokens).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.store.models import ApiToken, utcnow

PREFIX = "acc_"


class Access(StrEnum):
    VIEWER = "viewer"
    OPERATOR = "operator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return list(Access).index(self)

    def allows(self, needed: Access) -> bool:
        return self.rank >= needed.rank


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    role: Access


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, role: Access) -> str:
    """Store a new token's digest and return the token (the only time it is visible)."""
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role.value, token_hash=digest(token)))
    session.flush()
    return token


def authenticate(session: Session, token: str) -> Principal | None:
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                                 ApiToken.revoked_at.is_(None))).first()
    if row is None:
        return None
    row.last_used_at = utcnow()
    return Principal(row.id, row.name, Access(row.role))


def revoke(session: Session, token_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


__all__ = ["PREFIX", "Access", "Principal", "authenticate", "create_token", "digest", "revoke"]
