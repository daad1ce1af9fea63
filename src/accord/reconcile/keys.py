"""The identity registry as reconciliation's key resolver: a record a system does not carry
accord's id on is keyed through the xref table (see ``accord.canonical.record_keys``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import select

from accord.canonical.ids import EntityType
from accord.store import Database
from accord.store.models import Xref


class XrefKeys:
    """Looks system ids up in accord's xref table."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def canonical_ids(self, system: str, entity: EntityType, system_ids: Sequence[str]
                      ) -> Mapping[str, str]:
        if not system_ids:
            return {}
        with self.database.session() as session:
            rows = session.execute(select(Xref.system_id, Xref.canonical_id).where(
                Xref.system == system, Xref.entity_type == entity.value,
                Xref.system_id.in_(list(system_ids))))
            return {str(row.system_id): str(row.canonical_id) for row in rows}


__all__ = ["XrefKeys"]
