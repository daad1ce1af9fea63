"""Thread-safe record store with an undo log, so a request can be rolled back as a whole.

Writes happen inside :meth:`Store.transaction`: the store lock is held, every write records
the previous version of the record, and on failure (or a partial rollback through
:meth:`Transaction.rollback_to`) those versions come back. On commit the transaction's
changes go to the listeners (the CDC log). Timestamps come from the sandbox clock, truncated
to milliseconds as Salesforce stores them.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from accord.sandboxes.salesforce.errors import ApiError, ErrorCode
from accord.sandboxes.salesforce.ids import IdFactory, to18
from accord.sandboxes.salesforce.schema import BY_PREFIX, OBJECTS, ObjectDef
from accord.sandboxes.salesforce.values import to_wire, truncate_ms

SANDBOX_USER_ID = "0058d0000000001AAA"
Record = dict[str, Any]


class ChangeType(StrEnum):
    CREATE = "CREATE"
    UPDATE = "UPDATE"
    DELETE = "DELETE"


@dataclass(frozen=True)
class Change:
    entity: str
    record_id: str
    change_type: ChangeType
    changed_fields: tuple[str, ...]
    values: Record
    origin: str
    transaction_key: str
    at: datetime


@dataclass
class Transaction:
    store: Store
    origin: str
    key: str = field(default_factory=lambda: str(uuid.uuid4()))
    undo: list[tuple[str, str, Record | None]] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)

    def mark(self) -> tuple[int, int]:
        return len(self.undo), len(self.changes)

    def rollback_to(self, mark: tuple[int, int] = (0, 0)) -> None:
        undo_at, changes_at = mark
        while len(self.undo) > undo_at:
            name, record_id, previous = self.undo.pop()
            self.store._put(name, record_id, previous)
        del self.changes[changes_at:]

    def put(self, obj: ObjectDef, record: Record, change: ChangeType,
            changed: tuple[str, ...]) -> None:
        name = obj.name.lower()
        previous = self.store._records[name].get(record["Id"])
        self.undo.append((name, record["Id"], dict(previous) if previous else None))
        self.store._put(name, record["Id"], record)
        values = {key: record.get(key) for key in changed}
        self.changes.append(Change(obj.name, record["Id"], change, changed, values,
                                   self.origin, self.key, record["SystemModstamp"]))


class Store:
    """Records per object, external-id indexes, and write listeners."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self.lock = threading.RLock()
        self.ids = IdFactory()
        self._records: dict[str, dict[str, Record]] = {name: {} for name in OBJECTS}
        self._index: dict[tuple[str, str, str], set[str]] = {}
        self._listeners: list[Callable[[list[Change]], None]] = []
        self._contract_number = 0

    # -- listeners and lifecycle ----------------------------------------------------------
    def on_commit(self, listener: Callable[[list[Change]], None]) -> None:
        self._listeners.append(listener)

    def now(self) -> datetime:
        return truncate_ms(self._now())

    def reset(self) -> None:
        with self.lock:
            self._records = {name: {} for name in OBJECTS}
            self._index.clear()
            self.ids.reset()
            self._contract_number = 0

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {OBJECTS[name].name: [to_wire(record) for record in records.values()]
                    for name, records in self._records.items() if records}

    def snapshot(self) -> dict[str, Any]:
        """Everything needed to rebuild the store (see :mod:`.persistence`)."""
        with self.lock:
            return {"records": {OBJECTS[name].name: list(records.values())
                                for name, records in self._records.items() if records},
                    "last_id": self.ids.last, "contract_number": self._contract_number}

    def restore(self, records: dict[str, dict[str, Record]], last_id: int,
                contract_number: int) -> None:
        with self.lock:
            self._records = {name: {} for name in OBJECTS}
            self._index.clear()
            for name, by_id in records.items():
                for record_id, record in by_id.items():
                    self._put(name, record_id, record)
            self.ids.reset(last_id)
            self._contract_number = contract_number

    def set_system_field(self, obj: ObjectDef, record_id: str, name: str, value: Any) -> None:
        """Set a read-only field outside any API call (used to seed the org)."""
        with self.lock:
            self._records[obj.name.lower()][record_id][name] = value

    def next_contract_number(self) -> str:
        self._contract_number += 1
        return f"{self._contract_number:08d}"

    # -- reads ----------------------------------------------------------------------------
    def rows(self, obj: ObjectDef, *, include_deleted: bool = False) -> list[Record]:
        with self.lock:
            return [record for record in self._records[obj.name.lower()].values()
                    if include_deleted or not record["IsDeleted"]]

    def find(self, record_id: str) -> tuple[ObjectDef, Record] | None:
        """Any live record by id (15 or 18 characters)."""
        obj = BY_PREFIX.get(record_id[:3])
        if obj is None or len(record_id) not in (15, 18):
            return None
        record = self._records[obj.name.lower()].get(to18(record_id))
        if record is None or record["IsDeleted"]:
            return None
        return obj, record

    def get(self, obj: ObjectDef, record_id: str) -> Record:
        """A live record of ``obj`` or the error Salesforce answers."""
        if len(record_id) not in (15, 18) or not record_id.isalnum():
            raise ApiError.one(404, ErrorCode.NOT_FOUND,
                               f"Provided external ID field does not exist or is not "
                               f"accessible: {record_id}")
        record = self._records[obj.name.lower()].get(to18(record_id))
        if record is None or record_id[:3] != obj.key_prefix:
            raise ApiError.one(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        if record["IsDeleted"]:
            raise ApiError.one(404, ErrorCode.ENTITY_IS_DELETED, "entity is deleted")
        return record

    def by_external_id(self, obj: ObjectDef, field_name: str, value: str) -> list[Record]:
        ids = self._index.get((obj.name.lower(), field_name.lower(), value.lower()), set())
        records = self._records[obj.name.lower()]
        return sorted((records[i] for i in ids), key=lambda record: record["Id"])

    # -- writes ---------------------------------------------------------------------------
    @contextmanager
    def transaction(self, origin: str) -> Iterator[Transaction]:
        """Hold the lock for one request; roll back everything if it raises."""
        with self.lock:
            tx = Transaction(self, origin)
            try:
                yield tx
            except BaseException:
                tx.rollback_to()
                raise
            # listeners run under the lock so change events keep commit order
            if tx.changes:
                for listener in self._listeners:
                    listener(list(tx.changes))

    def _put(self, name: str, record_id: str, record: Record | None) -> None:
        obj = OBJECTS[name]
        old = self._records[name].get(record_id)
        if old is not None:
            self._unindex(obj, old)
        if record is None:
            self._records[name].pop(record_id, None)
            return
        self._records[name][record_id] = record
        self._reindex(obj, record)

    def _keys(self, obj: ObjectDef, record: Record) -> Iterator[tuple[str, str, str]]:
        if record.get("IsDeleted"):
            return
        for field_def in obj.external_id_fields:
            value = record.get(field_def.name)
            if value:
                yield obj.name.lower(), field_def.name.lower(), str(value).lower()

    def _reindex(self, obj: ObjectDef, record: Record) -> None:
        for key in self._keys(obj, record):
            self._index.setdefault(key, set()).add(record["Id"])

    def _unindex(self, obj: ObjectDef, record: Record) -> None:
        for key in self._keys(obj, record):
            self._index.get(key, set()).discard(record["Id"])


__all__ = ["SANDBOX_USER_ID", "Change", "ChangeType", "Record", "Store", "Transaction"]
