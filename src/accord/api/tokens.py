"""API tokens: random, shown once, stored only as a SHA-256 digest, each with a role, a
unique name and (from the CLI, by default) an expiry.

Roles are ordered: ``viewer`` reads, ``operator`` may also act on exceptions, ``admin`` may do
everything (including managing tokens).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select
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


class TokenNameTaken(ValueError):
    """Another token already has this name (names say who a token is for, so they are
    unique: the audit log and ``tokens list`` must tell two holders apart)."""


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, role: Access,
                 expires_at: datetime | None = None) -> str:
    """Store a new token's digest and return the token (the only time it is visible)."""
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenNameTaken(f"name: a token named {name!r} exists; pick another name or "
                             "revoke and list tokens with `accord tokens list`")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role.value, token_hash=digest(token),
                         expires_at=expires_at))
    session.flush()
    return token


def token_id_of(session: Session, token: str) -> int | None:
    return session.scalar(select(ApiToken.id).where(ApiToken.token_hash == digest(token)))


def active(now: datetime) -> ColumnElement[bool]:
    """The condition of a usable token: not revoked, not expired."""
    return and_(ApiToken.revoked_at.is_(None),
                or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > now))


def authenticate(session: Session, token: str) -> Principal | None:
    now = utcnow()
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == digest(token),
                                                 active(now))).first()
    if row is None:
        return None
    row.last_used_at = now
    return Principal(row.id, row.name, Access(row.role))


def principal_of(session: Session, token_id: int) -> Principal | None:
    """The token ``token_id`` as a principal, if it is still usable."""
    row = session.scalars(select(ApiToken).where(ApiToken.id == token_id,
                                                 active(utcnow()))).first()
    return None if row is None else Principal(row.id, row.name, Access(row.role))


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def revoke(session: Session, token_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


__all__ = [
    "PREFIX",
    "Access",
    "Principal",
    "TokenNameTaken",
    "authenticate",
    "create_token",
    "digest",
    "list_tokens",
    "principal_of",
    "revoke",
    "token_id_of",
]
