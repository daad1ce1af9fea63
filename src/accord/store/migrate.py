"""Running Alembic migrations programmatically (``accord db upgrade``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)


_MIGRATION_LOCK_KEY = 0x616363_6F7264  # "accord"


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """Processes starting together on PostgreSQL migrate one at a time (an advisory lock,
    held by the engine's launch around its own and DBOS's migrations); SQLite serializes
    schema changes by itself.

    The lock is taken with ``pg_try_advisory_lock`` in a polling loop, never a blocking
    ``pg_advisory_lock``: a waiter blocked inside a statement holds a transaction open, and
    DBOS's migrations build indexes CONCURRENTLY, which wait for every open transaction - the
    lock holder would wait for the waiter forever."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        while True:
            acquired = connection.execute(text("SELECT pg_try_advisory_lock(:key)"),
                                          {"key": _MIGRATION_LOCK_KEY}).scalar()
            connection.commit()
            if acquired:
                break
            time.sleep(0.2)
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"),
                               {"key": _MIGRATION_LOCK_KEY})
            connection.commit()


def ensure_current(engine: Engine) -> None:
    """Migrate to the newest schema unless already there (every command that needs the
    database calls this first, so a fresh directory just works)."""
    if current_revision(engine) == head_revision():
        return
    with migration_lock(engine):
        upgrade(engine)


def head_revision() -> str | None:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


__all__ = ["MIGRATIONS", "alembic_config", "current_revision", "ensure_current", "head_revision",
           "migration_lock", "upgrade"]
