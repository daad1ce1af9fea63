"""The store as commands open it: migrated on first use, so a fresh directory just works."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from accord.settings import AccordSettings, load_settings
from accord.store import Database, ensure_current
from accord.store.sealing import key_file_for, keyring


def prepare_sqlite_dir(url: str) -> None:
    """Create the folder a SQLite database file lives in (``.accord/`` by default), only
    its owner may enter (0700)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database or "").parent.mkdir(parents=True, exist_ok=True, mode=0o700)


def private_data_dir(settings: AccordSettings) -> None:
    """The data directory (database, keys, secrets) closed to other users: 0700."""
    if settings.data_dir.is_dir() and stat.S_IMODE(settings.data_dir.stat().st_mode) != 0o700:
        os.chmod(settings.data_dir, 0o700)


@contextmanager
def opened(settings: AccordSettings | None = None) -> Iterator[Database]:
    """The configured database, migrated to the newest schema, disposed afterwards."""
    chosen = settings or load_settings()
    prepare_sqlite_dir(chosen.effective_database_url)
    private_data_dir(chosen)
    # made before any server or worker may race for it
    keyring(key_file_for(chosen.effective_database_url, chosen))
    database = Database(chosen.effective_database_url)
    try:
        ensure_current(database.engine)
        yield database
    finally:
        database.dispose()


__all__ = ["opened", "prepare_sqlite_dir", "private_data_dir"]
