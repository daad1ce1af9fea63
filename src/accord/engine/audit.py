"""The audit log: who did what to what."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from accord.store.models import AuditLog


def audit(session: Session, *, actor: str, action: str, target_type: str, target_id: str,
          detail: dict[str, Any] | None = None) -> None:
    """Add an audit row in the caller's transaction (so the action and its record commit
    together)."""
    session.add(AuditLog(actor=actor, action=action, target_type=target_type,
                         target_id=target_id, detail=detail))


__all__ = ["audit"]
