"""The store as commands open it: migrated on first use, so a fresh directory just works."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from accord.cli.failures import CommandFailed, ExitCode
from accord.settings import AccordSettings, Environment, load_settings
from accord.store import Database, ensure_current
from accord.store.environment import claim, peek
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


def refuse_production(command: str, settings: AccordSettings | None = None,
                      database_url: str | None = None) -> None:
    """Stop ``accord <command>`` (the demo, the sandboxes) in a production environment or
    against a database marked production (``database_url``, else the configured one; a
    database not made yet or unreachable has no mark, and nothing is created to look)."""
    chosen = settings or load_settings()
    if chosen.environment is Environment.PRODUCTION:
        raise CommandFailed(f"environment: `accord {command}` does not run in production "
                            "(ACCORD_ENVIRONMENT=production)", ExitCode.REFUSED)
    url = database_url or chosen.effective_database_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and (
            parsed.database in (None, "", ":memory:")
            or not Path(parsed.database or "").exists()):
        return
    database = Database(url)
    try:
        mark = peek(database.engine)
    finally:
        database.dispose()
    if mark is not None and mark.environment is Environment.PRODUCTION:
        raise CommandFailed(
            f"environment: `accord {command}` refuses {mark.describe()} "
            f"({make_url(url).render_as_string(hide_password=True)})", ExitCode.REFUSED)


@contextmanager
def opened(settings: AccordSettings | None = None) -> Iterator[Database]:
    """The configured database, migrated to the newest schema, marked with the settings'
    environment at its first use (refused when it belongs to another), disposed
    afterwards."""
    chosen = settings or load_settings()
    prepare_sqlite_dir(chosen.effective_database_url)
    private_data_dir(chosen)
    # made before any server or worker may race for it
    keyring(key_file_for(chosen.effective_database_url, chosen))
    database = Database(chosen.effective_database_url)
    try:
        ensure_current(database.engine)
        claim(database, chosen.environment)
        yield database
    finally:
        database.dispose()


__all__ = ["opened", "prepare_sqlite_dir", "private_data_dir", "refuse_production"]
