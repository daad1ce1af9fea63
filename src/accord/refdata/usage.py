"""Which reference-data version each ERP posting was mapped under."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord.store.models import RefdataUse


def record_use(session: Session, *, canonical_id: str, entity_type: str, system: str,
               system_id: str, version: int, correlation_id: str | None = None) -> None:
    """Record that ``canonical_id`` was posted to ``system`` under ``version`` (once: a
    replayed step finds its row; two flows posting the same invoice at once - the invoice's
    own and a payment's whose invoice event was late - leave one row)."""
    found = session.scalar(select(RefdataUse).where(
        RefdataUse.canonical_id == canonical_id, RefdataUse.system == system,
        RefdataUse.version == version))
    if found is not None:
        return
    try:
        with session.begin_nested():
            session.add(RefdataUse(canonical_id=canonical_id, entity_type=entity_type,
                                   system=system, system_id=system_id, version=version,
                                   correlation_id=correlation_id))
    except IntegrityError:
        pass  # the other flow's row says the same


def versions_of(session: Session, canonical_id: str) -> list[RefdataUse]:
    """The versions a record was posted under, oldest first."""
    return list(session.scalars(select(RefdataUse).where(
        RefdataUse.canonical_id == canonical_id).order_by(RefdataUse.id)))


def posted_under(session: Session, version: int) -> list[RefdataUse]:
    return list(session.scalars(select(RefdataUse).where(
        RefdataUse.version == version).order_by(RefdataUse.id)))


__all__ = ["posted_under", "record_use", "versions_of"]
