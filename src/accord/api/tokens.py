"""API tokens: random, shown once, stored only as a SHA-256 digest, each with a role, a
unique name, scopes and (from the CLI, by default) an expiry.

Roles are ordered: ``viewer`` reads, ``operator`` may also act on exceptions and start flows,
``admin`` may do everything (including managing tokens). Scopes narrow a token within its
role (:class:`Scope`): an operator token for a dashboard that only replays, say, carries
``read`` and ``replay``. A request needs both the role and the scope of what it does.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
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


class Scope(StrEnum):
    """What a token may do, within what its role allows."""

    READ = "read"
    """read every view (viewers see personal fields masked)"""
    EXCEPTIONS = "exceptions"
    """act on exceptions: resolve or ignore them (operator)"""
    REPLAY = "replay"
    """start flows: retry a failed flow, run a schedule now, report usage (operator)"""
    ADMIN = "admin"
    """administer: tokens, configuration, reference data (admin)"""


ROLE_SCOPES: dict[Access, frozenset[Scope]] = {
    Access.VIEWER: frozenset({Scope.READ}),
    Access.OPERATOR: frozenset({Scope.READ, Scope.EXCEPTIONS, Scope.REPLAY}),
    Access.ADMIN: frozenset(Scope),
}
"""The scopes each role may hold (a token's default: all of them)."""


@dataclass(frozen=True)
class Principal:
    token_id: int
    name: str
    role: Access
    scopes: frozenset[Scope] = frozenset({Scope.READ})

    def may(self, role: Access, scope: Scope) -> bool:
        """Whether this token's role is at least ``role`` and it holds ``scope``."""
        return self.role.allows(role) and scope in self.scopes


class ScopeNotAllowed(ValueError):
    """A scope the token's role may not hold (a viewer cannot replay)."""


def parse_scopes(text: str | None, role: Access) -> frozenset[Scope]:
    """The stored scopes of a token (null: all its role allows), capped by the role."""
    if text is None:
        return ROLE_SCOPES[role]
    names = {scope.value for scope in Scope}
    found = {Scope(part) for part in text.split(",") if part in names}
    return frozenset(found) & ROLE_SCOPES[role]


def checked_scopes(role: Access, scopes: Iterable[Scope] | None) -> frozenset[Scope]:
    """The scopes a new token gets: ``scopes`` (``read`` always), all that ``role`` allows
    if None; a scope beyond the role is an error naming it."""
    if scopes is None:
        return ROLE_SCOPES[role]
    wanted = frozenset(scopes) | {Scope.READ}
    beyond = sorted(scope.value for scope in wanted - ROLE_SCOPES[role])
    if beyond:
        allowed = ", ".join(sorted(scope.value for scope in ROLE_SCOPES[role]))
        raise ScopeNotAllowed(f"scope: a {role.value} token may not hold {', '.join(beyond)} "
                              f"(a {role.value} may hold: {allowed})")
    return wanted


def _principal(row: ApiToken) -> Principal:
    role = Access(row.role)
    return Principal(row.id, row.name, role, parse_scopes(row.scopes, role))


class TokenNameTaken(ValueError):
    """Another token already has this name (names say who a token is for, so they are
    unique: the audit log and ``tokens list`` must tell two holders apart)."""


DURATION = re.compile(r"^\s*(\d{1,6})\s*([mhdw])\s*$")
UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1),
         "w": timedelta(weeks=1)}
MAX_LIFETIME = timedelta(days=3650)


def parse_lifetime(text: str) -> timedelta | None:
    """``30m``, ``12h``, ``90d``, ``2w``, or ``never`` (None); a clear error naming
    ``expires_in`` otherwise (at most ten years)."""
    if text.strip().lower() == "never":
        return None
    found = DURATION.match(text)
    if found is None:
        raise ValueError(f"expires_in: {text!r} is not a duration; use e.g. 30m, 12h, 90d, "
                         "2w, or never")
    lifetime = int(found.group(1)) * UNITS[found.group(2)]
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise ValueError(f"expires_in: {text!r} must be more than 0 and at most 3650d")
    return lifetime


NAME_PATTERN = (r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f]"
                r"[^\x00-\x1f\x7f-\x9f]*$")
"""A token's name: printable (no control character a terminal would obey in ``tokens
list``), not only whitespace."""
NAME_LENGTH = 120
LIFETIME_PATTERN = (
    r"^(never"
    r"|[1-9][0-9]{0,5}m"  # at most 999999 minutes (694 days)
    r"|(?:[1-9][0-9]{0,3}|[1-7][0-9]{4}|8[0-6][0-9]{3}|87[0-5][0-9]{2}|87600)h"  # 87600
    r"|(?:[1-9][0-9]{0,2}|[12][0-9]{3}|3[0-5][0-9]{2}|36[0-4][0-9]|3650)d"  # 3650
    r"|(?:[1-9][0-9]?|[1-4][0-9]{2}|50[0-9]|51[0-9]|52[01])w)$")  # 521 weeks
"""The lifetimes the API schema admits: exactly those ``parse_lifetime`` accepts written
without leading zeros (the OpenAPI fuzz sends whatever the schema allows)."""


def check_name(name: str) -> str:
    if not name or len(name) > NAME_LENGTH or re.fullmatch(NAME_PATTERN, name) is None:
        raise ValueError(f"name: 1 to {NAME_LENGTH} printable characters, not only spaces, "
                         "saying who or what the token is for")
    return name


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, name: str, role: Access,
                 expires_at: datetime | None = None,
                 scopes: Iterable[Scope] | None = None) -> str:
    """Store a new token's digest and return the token (the only time it is visible).
    ``scopes`` narrows it within ``role`` (default: every scope the role allows)."""
    granted = checked_scopes(role, scopes)
    check_name(name)
    if session.scalar(select(ApiToken.id).where(ApiToken.name == name)) is not None:
        raise TokenNameTaken(f"name: a token named {name!r} exists; pick another name or "
                             "revoke and list tokens with `accord tokens list`")
    token = PREFIX + secrets.token_urlsafe(32)
    session.add(ApiToken(name=name, role=role.value, token_hash=digest(token),
                         expires_at=expires_at,
                         scopes=",".join(sorted(scope.value for scope in granted))))
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
    return _principal(row)


def principal_of(session: Session, token_id: int) -> Principal | None:
    """The token ``token_id`` as a principal, if it is still usable."""
    row = session.scalars(select(ApiToken).where(ApiToken.id == token_id,
                                                 active(utcnow()))).first()
    return None if row is None else _principal(row)


def list_tokens(session: Session) -> list[ApiToken]:
    return list(session.scalars(select(ApiToken).order_by(ApiToken.id)))


def scopes_of(row: ApiToken) -> frozenset[Scope]:
    return parse_scopes(row.scopes, Access(row.role))


def state_of(row: ApiToken, now: datetime) -> str:
    """``active``, ``revoked`` or ``expired``."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def revoke(session: Session, token_id: int) -> bool:
    row = session.get(ApiToken, token_id)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


__all__ = [
    "LIFETIME_PATTERN",
    "NAME_LENGTH",
    "NAME_PATTERN",
    "PREFIX",
    "ROLE_SCOPES",
    "Access",
    "Principal",
    "Scope",
    "ScopeNotAllowed",
    "TokenNameTaken",
    "authenticate",
    "check_name",
    "checked_scopes",
    "create_token",
    "digest",
    "list_tokens",
    "parse_lifetime",
    "parse_scopes",
    "principal_of",
    "revoke",
    "scopes_of",
    "state_of",
    "token_id_of",
]
