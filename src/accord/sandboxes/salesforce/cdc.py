"""Change Data Capture-style events, kept in a replayable log.

Every committed write becomes one event per record and transaction, shaped like a Salesforce
change event: a ``ChangeEventHeader`` (entityName, recordIds, changeType, changeOrigin,
transactionKey, sequenceNumber, commitTimestamp, commitNumber, commitUser, changedFields)
plus the record's fields (all non-null fields on CREATE, the changed ones on UPDATE).
``changeOrigin`` is ``com/salesforce/api/rest/<version>;client=<id>`` where ``<id>`` comes from
the writer's ``Sforce-Call-Options: client=<id>`` header, so a subscriber can skip its own
writes. The log is served at ``GET /__sandbox/salesforce/cdc?after=<replayId>``.
"""

from __future__ import annotations

import threading
from typing import Any

from accord.sandboxes.salesforce.store import SANDBOX_USER_ID, Change, ChangeType
from accord.sandboxes.salesforce.values import to_wire

CHANNEL = "/data/ChangeEvents"


def change_origin(version: str, client: str | None) -> str:
    origin = f"com/salesforce/api/rest/{version}"
    return f"{origin};client={client}" if client else origin


class ChangeLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: list[dict[str, Any]] = []
        self._commit = 0

    def reset(self) -> None:
        with self._lock:
            self._events.clear()
            self._commit = 0

    def record(self, changes: list[Change]) -> None:
        """Listener for :meth:`Store.on_commit`: merge each record's changes, then append."""
        merged: dict[str, Change] = {}
        for change in changes:
            earlier = merged.get(change.record_id)
            if earlier is None:
                merged[change.record_id] = change
                continue
            kind = earlier.change_type if change.change_type is ChangeType.UPDATE else \
                change.change_type
            fields = tuple(dict.fromkeys((*earlier.changed_fields, *change.changed_fields)))
            merged[change.record_id] = Change(
                change.entity, change.record_id, kind, fields,
                {**earlier.values, **change.values}, change.origin, change.transaction_key,
                change.at)
        with self._lock:
            self._commit += 1
            for sequence, change in enumerate(merged.values(), start=1):
                replay_id = len(self._events) + 1
                header = {
                    "entityName": change.entity,
                    "recordIds": [change.record_id],
                    "changeType": change.change_type.value,
                    "changeOrigin": change.origin,
                    "transactionKey": change.transaction_key,
                    "sequenceNumber": sequence,
                    "commitTimestamp": int(change.at.timestamp() * 1000),
                    "commitNumber": self._commit,
                    "commitUser": SANDBOX_USER_ID,
                    "changedFields": list(change.changed_fields)
                    if change.change_type is ChangeType.UPDATE else [],
                }
                body = {} if change.change_type is ChangeType.DELETE else to_wire(change.values)
                self._events.append({
                    "channel": CHANNEL,
                    "replayId": replay_id,
                    "payload": {"ChangeEventHeader": header, **body},
                })

    def after(self, replay_id: int, limit: int, entity: str | None = None
              ) -> tuple[list[dict[str, Any]], int]:
        """Events with a replay id above ``replay_id`` and the latest replay id."""
        with self._lock:
            found = [event for event in self._events[max(replay_id, 0):]
                     if entity is None
                     or event["payload"]["ChangeEventHeader"]["entityName"].lower()
                     == entity.lower()]
            return found[:limit], len(self._events)

    def dump(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._events)


__all__ = ["CHANNEL", "ChangeLog", "change_origin"]
