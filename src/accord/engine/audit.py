"""The audit log: who (a person's token id, or the engine) did what to what, and when, as a
tamper-evident chain.

Each row stores the SHA-256 of its own content (time, actor, token id, action, target,
detail) together with the previous row's hash, so editing a row breaks its own hash and
deleting one breaks the link of the row after it: :func:`verify` (``accord audit verify``)
finds both. Writers are serialised while they link a row (an advisory lock on PostgreSQL;
SQLite's single writer, taken by inserting the row before reading its predecessor).
Rows written before the chain existed (revision 0011) have no hash and are reported apart.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from accord.store import Database
from accord.store.models import AuditLog, utcnow

CHAIN_LOCK = 7_263_822_011
"""The PostgreSQL advisory lock key held while a row is linked."""
GENESIS = "0" * 64


def content_hash(row: AuditLog, previous: str) -> str:
    """SHA-256 over the row's content and the previous row's hash."""
    at = row.at.astimezone(UTC).isoformat() if row.at else ""
    content = json.dumps({
        "id": row.id, "at": at, "actor": row.actor, "token_id": row.token_id,
        "action": row.action, "target_type": row.target_type, "target_id": row.target_id,
        "detail": row.detail, "prev": previous}, sort_keys=True, default=str,
        separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(content.encode()).hexdigest()


def audit(session: Session, *, actor: str, action: str, target_type: str, target_id: str,
          detail: dict[str, Any] | None = None, token_id: int | None = None) -> None:
    """Add a linked audit row in the caller's transaction (so the action and its record
    commit together). ``token_id`` names the API token of the person who acted."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": CHAIN_LOCK})
    row = AuditLog(at=utcnow(), actor=actor, action=action, target_type=target_type,
                   target_id=target_id, detail=detail, token_id=token_id)
    session.add(row)
    session.flush()  # the id, and on SQLite the write lock, before reading the predecessor
    previous = session.scalar(select(AuditLog.hash).where(
        AuditLog.id < row.id, AuditLog.hash.is_not(None)).order_by(AuditLog.id.desc()).limit(1))
    row.prev_hash = previous or GENESIS
    row.hash = content_hash(row, row.prev_hash)
    session.flush()


@dataclass(frozen=True)
class Break:
    """Where the chain does not hold: the row and what is wrong."""

    audit_id: int
    problem: str


@dataclass(frozen=True)
class Verdict:
    checked: int
    unchained: int
    breaks: tuple[Break, ...]

    @property
    def intact(self) -> bool:
        return not self.breaks


def _rows(database: Database, batch: int = 1000) -> Iterator[AuditLog]:
    after = 0
    while True:
        with database.session() as session:
            rows = list(session.scalars(select(AuditLog).where(AuditLog.id > after)
                                        .order_by(AuditLog.id).limit(batch)))
        yield from rows
        if len(rows) < batch:
            return
        after = rows[-1].id


def verify(database: Database) -> Verdict:
    """Walk the chain in id order: each row's hash must match its content, and its link the
    hash of the row before it."""
    breaks: list[Break] = []
    checked = unchained = 0
    previous: str | None = None
    for row in _rows(database):
        if row.hash is None:
            if previous is None:
                unchained += 1  # written before the chain existed
            else:
                breaks.append(Break(row.id, "no hash after the chain began"))
            continue
        checked += 1
        expected_previous = previous or GENESIS
        if row.prev_hash != expected_previous:
            breaks.append(Break(row.id, "its link does not match the row before it "
                                        "(a row was deleted or inserted)"))
        if content_hash(row, row.prev_hash or GENESIS) != row.hash:
            breaks.append(Break(row.id, "its content does not match its hash (edited)"))
        previous = row.hash
    return Verdict(checked, unchained, tuple(breaks))


__all__ = ["CHAIN_LOCK", "GENESIS", "Break", "Verdict", "audit", "content_hash", "verify"]
