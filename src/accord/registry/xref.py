"""The cross-reference: canonical id <-> each system's id for the same entity."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.errors import ConflictError
from accord.store.models import Xref


class XrefConflictError(ConflictError):
    """The link contradicts one already recorded."""

    code = "xref_conflict"


class Xrefs:
    """Reads and writes xref rows inside the caller's session (and so its transaction)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def link(self, canonical_id: str, entity_type: EntityType, system: str,
             system_id: str) -> None:
        """Record the link; a repeat of the same link is a no-op, a contradiction raises."""
        by_system_id = self.canonical_id(system, entity_type, system_id)
        if by_system_id == canonical_id:
            return
        if by_system_id is not None:
            raise XrefConflictError(
                f"{system} {entity_type.value} {system_id} is already linked to {by_system_id}",
                system=system)
        existing = self.system_id(canonical_id, system)
        if existing == system_id:
            return  # a concurrent flow recorded this very link between the two reads
        if existing is not None:
            raise XrefConflictError(
                f"{canonical_id} already has {system} id {existing}, not {system_id}",
                system=system)
        self.session.add(Xref(canonical_id=canonical_id, entity_type=entity_type.value,
                              system=system, system_id=system_id))
        self.session.flush()

    def canonical_id(self, system: str, entity_type: EntityType, system_id: str) -> str | None:
        return self.session.scalar(
            select(Xref.canonical_id).where(Xref.system == system,
                                            Xref.entity_type == entity_type.value,
                                            Xref.system_id == system_id))

    def system_id(self, canonical_id: str, system: str) -> str | None:
        return self.session.scalar(
            select(Xref.system_id).where(Xref.canonical_id == canonical_id,
                                         Xref.system == system))

    def ids_for(self, canonical_id: str) -> dict[str, str]:
        rows = self.session.execute(
            select(Xref.system, Xref.system_id).where(Xref.canonical_id == canonical_id))
        return {row.system: row.system_id for row in rows}


__all__ = ["XrefConflictError", "Xrefs"]
