"""Optional persistence (``accord sandbox start salesforce --state-file x.db``).

After every committed transaction and every reset the whole store is written as one JSON
document into a SQLite table, and read back with field types restored on start. Change events
and query cursors are not kept: a restarted sandbox starts a fresh change feed.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from accord.sandboxes.salesforce.schema import FieldType, object_def
from accord.sandboxes.salesforce.values import dumps, parse_datetime, to_wire

_KEY = "store"


def _typed(kind: FieldType, value: Any) -> Any:
    if value is None:
        return None
    if kind is FieldType.DATE:
        return date.fromisoformat(value)
    if kind is FieldType.DATETIME:
        return parse_datetime(value)
    if kind is FieldType.INT:
        return int(value)
    if kind in (FieldType.CURRENCY, FieldType.DOUBLE, FieldType.PERCENT):
        return Decimal(value)
    return value


def restore_records(snapshot: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Wire records by object name -> typed records by lower-case object name and id."""
    out: dict[str, dict[str, Any]] = {}
    for name, records in snapshot.items():
        obj = object_def(name)
        if obj is None:
            continue
        out[obj.name.lower()] = {
            record["Id"]: {field.name: _typed(field.type, record.get(field.name))
                           for field in obj.fields}
            for record in records}
    return out


class StateFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS sandbox_state "
                         "(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        self._db.commit()

    def save(self, snapshot: dict[str, Any]) -> None:
        text = dumps(to_wire(snapshot))
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO sandbox_state (key, value) VALUES (?, ?)",
                             (_KEY, text))
            self._db.commit()

    def load(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT value FROM sandbox_state WHERE key = ?",
                                   (_KEY,)).fetchone()
        return json.loads(row[0], parse_float=Decimal) if row else None


__all__ = ["StateFile", "restore_records"]
