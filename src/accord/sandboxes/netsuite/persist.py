"""Optional write-through persistence of the sandbox's records in SQLite (``--state-file``).

Only records and the id counter are stored; the application ledger is rebuilt from the
records' apply and deposit sublists when the file is loaded.
"""

from __future__ import annotations

import sqlite3
import threading
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from accord.sandboxes.netsuite import wire
from accord.sandboxes.netsuite.records.catalog import spec_for
from accord.sandboxes.netsuite.records.fields import FieldSpec, Kind

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    type TEXT NOT NULL, id TEXT NOT NULL, data TEXT NOT NULL,
    created TEXT NOT NULL, modified TEXT NOT NULL, PRIMARY KEY (type, id));
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def _restore_fields(fields: tuple[FieldSpec, ...], data: dict[str, Any]) -> None:
    for field in fields:
        value = data.get(field.name)
        if field.kind is Kind.DECIMAL and value is not None and not isinstance(value, Decimal):
            data[field.name] = Decimal(value)


def restore(record_type: str, data: dict[str, Any]) -> dict[str, Any]:
    """JSON gives ``1000`` back as an int; amounts must be ``Decimal`` again."""
    spec = spec_for(record_type)
    if spec is None:
        return data
    _restore_fields(spec.fields, data)
    for sublist in spec.sublists:
        for line in data.get(sublist.name) or []:
            _restore_fields(sublist.fields, line)
    return data


class SqliteMirror:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.executescript(_SCHEMA)

    def save(self, record_type: str, internal_id: str, data: dict[str, Any],
             created: datetime, modified: datetime) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO records (type, id, data, created, modified) "
                "VALUES (?, ?, ?, ?, ?)",
                (record_type, internal_id, wire.dumps(data), created.isoformat(),
                 modified.isoformat()))

    def delete(self, record_type: str, internal_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records WHERE type = ? AND id = ?",
                             (record_type, internal_id))

    def set_next_id(self, value: int) -> None:
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('next_id', ?)",
                             (str(value),))

    def clear(self) -> None:
        with self._lock:
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM meta")

    def load(self) -> tuple[list[tuple[str, str, dict[str, Any], datetime, datetime]], int | None]:
        with self._lock:
            rows = self._db.execute(
                "SELECT type, id, data, created, modified FROM records").fetchall()
            meta = self._db.execute("SELECT value FROM meta WHERE key = 'next_id'").fetchone()
        records = [(kind, internal_id, restore(kind, wire.loads(data)),
                    datetime.fromisoformat(created), datetime.fromisoformat(modified))
                   for kind, internal_id, data, created, modified in rows]
        return records, int(meta[0]) if meta else None


__all__ = ["SqliteMirror", "restore"]
