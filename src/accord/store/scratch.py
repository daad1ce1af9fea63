"""A disk-backed scratch table for comparing large record streams with flat memory.

Both sides are streamed into a temporary SQLite file in batches and compared with SQL, so
Python never holds a whole side in memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice
from pathlib import Path
from typing import Any

BATCH = 5_000


@contextmanager
def scratch_db() -> Iterator[sqlite3.Connection]:
    with tempfile.TemporaryDirectory(prefix="accord-recon-") as directory:
        connection = sqlite3.connect(Path(directory) / "scratch.db")
        connection.execute("PRAGMA journal_mode=OFF")
        connection.execute("PRAGMA synchronous=OFF")
        try:
            yield connection
        finally:
            connection.close()


def load(connection: sqlite3.Connection, table: str, columns: tuple[str, ...],
         rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert ``rows`` into ``table`` in batches; return how many."""
    placeholders = ", ".join("?" for _ in columns)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
    iterator = iter(rows)
    total = 0
    while batch := list(islice(iterator, BATCH)):
        connection.executemany(sql, batch)
        total += len(batch)
    connection.commit()
    return total


__all__ = ["BATCH", "load", "scratch_db"]
