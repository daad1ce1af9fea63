"""Golden records: accord's merged view of each canonical entity, versioned.

A merge takes, from one source system, only the fields that system owns under the ownership
policy (a brand-new record is seeded from whichever system reports it first). Each accepted
field remembers its source system and change time. A merge that changes nothing writes
nothing, so replays and echoes of accord's own writes never create versions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.canonical.ids import EntityType
from accord.registry.echo import is_echo
from accord.registry.ownership import OwnershipPolicy
from accord.store.models import GoldenRecord, utcnow

# Identity fields are managed by the registry itself, not merged from sources.
RESERVED = frozenset({"id", "external_ids"})


@dataclass(frozen=True)
class GoldenView:
    canonical_id: str
    entity_type: EntityType
    version: int
    data: dict[str, Any]
    field_sources: dict[str, Any]


@dataclass(frozen=True)
class MergeOutcome:
    version: int
    changed: tuple[str, ...] = ()
    ignored: tuple[str, ...] = field(default=())
    """Fields the source sent with a different value but does not own."""
    echo: bool = False

    @property
    def created_version(self) -> bool:
        return bool(self.changed)


class GoldenRecords:
    def __init__(self, session: Session, policy: OwnershipPolicy) -> None:
        self.session = session
        self.policy = policy

    def current(self, canonical_id: str) -> GoldenView | None:
        row = self.session.scalars(
            select(GoldenRecord).where(GoldenRecord.canonical_id == canonical_id)
            .order_by(GoldenRecord.version.desc()).limit(1)).first()
        if row is None:
            return None
        return GoldenView(row.canonical_id, EntityType(row.entity_type), row.version,
                          dict(row.data), dict(row.field_sources))

    def merge(self, canonical_id: str, entity_type: EntityType, source: str,
              incoming: Mapping[str, Any], *, source_id: str | None = None,
              stage: str | None = None, caused_by: str | None = None,
              at: datetime | None = None) -> MergeOutcome:
        """Merge ``incoming`` (a canonical entity dumped in JSON mode) from ``source``."""
        current = self.current(canonical_id)
        values = {k: v for k, v in incoming.items() if k not in RESERVED}
        if current is None:
            changed = tuple(sorted(values))
            self._write(canonical_id, entity_type, 1, values,
                        self._sources({}, changed, source, at), caused_by)
            return MergeOutcome(version=1, changed=changed)

        differing = {k: v for k, v in values.items() if current.data.get(k) != v}
        if not differing:
            return MergeOutcome(version=current.version)
        if source_id is not None and is_echo(self.session, source, entity_type, source_id,
                                             differing):
            return MergeOutcome(version=current.version, echo=True)
        accepted = {k: v for k, v in differing.items()
                    if self.policy.owns(source, entity_type, k, stage)}
        ignored = tuple(sorted(set(differing) - set(accepted)))
        if not accepted:
            return MergeOutcome(version=current.version, ignored=ignored)
        version = current.version + 1
        changed = tuple(sorted(accepted))
        self._write(canonical_id, entity_type, version, {**current.data, **accepted},
                    self._sources(current.field_sources, changed, source, at), caused_by)
        return MergeOutcome(version=version, changed=changed, ignored=ignored)

    @staticmethod
    def _sources(previous: Mapping[str, Any], changed: tuple[str, ...], source: str,
                 at: datetime | None) -> dict[str, Any]:
        stamp = (at or utcnow()).isoformat()
        return {**previous, **{name: {"system": source, "changed_at": stamp} for name in changed}}

    def _write(self, canonical_id: str, entity_type: EntityType, version: int,
               data: dict[str, Any], sources: dict[str, Any], caused_by: str | None) -> None:
        self.session.add(GoldenRecord(canonical_id=canonical_id, entity_type=entity_type.value,
                                      version=version, data=data, field_sources=sources,
                                      caused_by=caused_by))
        self.session.flush()


__all__ = ["RESERVED", "GoldenRecords", "GoldenView", "MergeOutcome"]
