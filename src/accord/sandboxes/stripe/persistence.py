"""Optional SQLite state file: the store is saved after every change and loaded at start.

One row holds a JSON snapshot of the store (records, ordering, test-card behaviours,
idempotency results, webhook secrets). Saving the whole snapshot keeps this simple and atomic;
a sandbox holds test data, not production volumes.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from pathlib import Path
from typing import Any

from accord.sandboxes.stripe.state import Store


class StateFile:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        with self._db:
            self._db.execute("CREATE TABLE IF NOT EXISTS stripe_state "
                             "(id INTEGER PRIMARY KEY CHECK (id = 1), snapshot TEXT NOT NULL)")

    def load(self) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT snapshot FROM stripe_state WHERE id = 1").fetchone()
        if row is None:
            return None
        data: dict[str, Any] = json.loads(row[0])
        return data

    def save(self, store: Store) -> None:
        text = json.dumps(store.snapshot())
        with self._lock, self._db:
            self._db.execute("INSERT INTO stripe_state (id, snapshot) VALUES (1, ?) "
                             "ON CONFLICT (id) DO UPDATE SET snapshot = excluded.snapshot",
                             (text,))

    def close(self) -> None:
        with self._lock:
            self._db.close()
