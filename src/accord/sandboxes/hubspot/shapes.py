"""How records look on the wire: ``SimplePublicObject`` (id, properties, createdAt,
updatedAt, archived), with associations when asked for, and batch answers."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from accord.sandboxes.hubspot.schema import ObjectType, object_type
from accord.sandboxes.hubspot.store import Record, Store
from accord.sandboxes.hubspot.values import iso


def record_body(kind: ObjectType, record: Record, properties: Sequence[str] | None = None
                ) -> dict[str, Any]:
    names = list(properties) if properties else list(kind.defaults)
    shown = {name: record.properties.get(name) for name in names
             if kind.prop(name) is not None}
    body: dict[str, Any] = {"id": record.id, "properties": shown,
                            "createdAt": iso(record.created_at),
                            "updatedAt": iso(record.updated_at), "archived": record.archived}
    if record.archived_at is not None:
        body["archivedAt"] = iso(record.archived_at)
    return body


def with_associations(store: Store, kind: ObjectType, record: Record, body: dict[str, Any],
                      targets: Sequence[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for target in targets:
        to = object_type(target)
        if to is None:
            continue  # HubSpot ignores associations it does not know
        linked = store.associated(kind, record.id, to)
        if linked:
            found[to.name] = {"results": [
                {"id": to_id, "type": f"{kind.singular}_to_{to.singular}"}
                for to_id in linked]}
    if found:
        body["associations"] = found
    return body


def batch_body(results: list[dict[str, Any]], errors: list[dict[str, Any]],
               started: datetime, completed: datetime) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results,
                            "startedAt": iso(started), "completedAt": iso(completed)}
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


def names(values: list[str]) -> list[str]:
    """Query values given repeated (``a&properties=b``) or comma-separated (``a,b``)."""
    return [name for value in values for name in value.split(",") if name]


__all__ = ["batch_body", "names", "record_body", "with_associations"]
