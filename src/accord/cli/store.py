"""The store as commands open it: migrated on first use, so a fresh directory just works."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from accord.settings import AccordSettings, load_settings
from accord.store import Database, ensure_current


def prepare_sqlite_dir(url: str) -> None:
    """Create the folder a SQLite database file lives in (``.accord/`` by default)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True)


@contextmanager
def opened(settings: AccordSettings | None = None) -> Iterator[Database]:
    """The configured database, migrated to the newest schema, disposed afterwards."""
    chosen = settings or load_settings()
    prepare_sqlite_dir(chosen.effective_database_url)
    database = Database(chosen.effective_database_url)
    try:
        ensure_current(database.engine)
        yield database
    finally:
        database.dispose()


__all__ = ["opened", "prepare_sqlite_dir"]
