"""Echo recognition: accord's own writes coming back from a system are not news.

Whenever accord writes fields to a system record it notes the values in the write ledger.
When that system later reports the record, the fields that differ from the golden record are
compared with the ledger: if every one of them holds exactly what accord wrote, the change is
an echo of accord's write and is not merged back (no update loops).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.store.models import WriteLedger, utcnow


def note_write(session: Session, system: str, entity_type: EntityType, system_id: str,
               values: Mapping[str, Any], *, correlation_id: str | None = None) -> None:
    """Remember what accord just wrote to ``system`` (merged over earlier writes)."""
    row = session.scalars(select(WriteLedger).where(
        WriteLedger.system == system, WriteLedger.entity_type == entity_type.value,
        WriteLedger.system_id == system_id)).first()
    if row is None:
        session.add(WriteLedger(system=system, entity_type=entity_type.value,
                                system_id=system_id, values=dict(values),
                                correlation_id=correlation_id))
    else:
        row.values = {**row.values, **values}
        row.written_at = utcnow()
        row.correlation_id = correlation_id
    session.flush()


def written_values(session: Session, system: str, entity_type: EntityType,
                   system_id: str) -> dict[str, Any]:
    """What accord last wrote to the ``system`` record (empty when it never wrote)."""
    written = session.scalar(select(WriteLedger.values).where(
        WriteLedger.system == system, WriteLedger.entity_type == entity_type.value,
        WriteLedger.system_id == system_id))
    return dict(written or {})


def holds_own_writes(session: Session, system: str, entity_type: EntityType, system_id: str,
                     current: Mapping[str, Any]) -> bool:
    """True when accord wrote to the record and ``current`` (the record as the system has it
    now) still holds exactly what accord wrote: a change notice for it is accord's echo."""
    written = written_values(session, system, entity_type, system_id)
    return bool(written) and all(current.get(name) == value for name, value in written.items())


def is_echo(session: Session, system: str, entity_type: EntityType, system_id: str,
            differing: Mapping[str, Any]) -> bool:
    written = session.scalar(select(WriteLedger.values).where(
        WriteLedger.system == system, WriteLedger.entity_type == entity_type.value,
        WriteLedger.system_id == system_id))
    if not written or not differing:
        return False
    return all(name in written and written[name] == value for name, value in differing.items())


__all__ = ["holds_own_writes", "is_echo", "note_write", "written_values"]
