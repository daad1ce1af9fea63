"""The cross-reference: canonical id <-> each system's id for the same entity."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import and_, insert, or_, select
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.errors import ConflictError
from accord.store.models import Xref, utcnow

Link = tuple[str, str, str]
"""(canonical id, system, system id)"""


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

    def link_many(self, entity_type: EntityType, links: Sequence[Link]
                  ) -> list[XrefConflictError | None]:
        """Record many links with one read of those that exist and one insert of the new
        ones; per link, None or the conflict that refused it (as :meth:`link` would raise).
        A writer that inserts one of them meanwhile makes the insert fail with an
        ``IntegrityError``: the caller then links one by one."""
        if not links:
            return []
        found = self.session.execute(select(
            Xref.canonical_id, Xref.system, Xref.system_id, Xref.entity_type).where(
            Xref.system.in_({system for _, system, _ in links}), or_(
                Xref.canonical_id.in_({canonical for canonical, _, _ in links}),
                and_(Xref.entity_type == entity_type.value,
                     Xref.system_id.in_({system_id for _, _, system_id in links}))))).all()
        by_canonical = {(row.canonical_id, row.system): row.system_id for row in found}
        by_system = {(row.system, row.system_id): row.canonical_id for row in found
                     if row.entity_type == entity_type.value}
        outcomes: list[XrefConflictError | None] = []
        rows = []
        for canonical_id, system, system_id in links:
            owner = by_system.get((system, system_id))
            existing = by_canonical.get((canonical_id, system))
            if owner is not None and owner != canonical_id:
                outcomes.append(XrefConflictError(
                    f"{system} {entity_type.value} {system_id} is already linked to {owner}",
                    system=system))
            elif existing is not None and existing != system_id:
                outcomes.append(XrefConflictError(
                    f"{canonical_id} already has {system} id {existing}, not {system_id}",
                    system=system))
            else:
                if existing is None:
                    by_canonical[(canonical_id, system)] = system_id
                    by_system[(system, system_id)] = canonical_id
                    rows.append({"canonical_id": canonical_id, "entity_type": entity_type.value,
                                 "system": system, "system_id": system_id,
                                 "created_at": utcnow()})
                outcomes.append(None)
        if rows:
            self.session.execute(insert(Xref), rows)
        return outcomes

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


__all__ = ["Link", "XrefConflictError", "Xrefs"]
