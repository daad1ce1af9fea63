"""A throwaway database for one drill or benchmark run.

On PostgreSQL a fresh database is created on the server and dropped afterwards (its sessions
terminated first, retrying while the server is still restarting, as a drill may have left it);
otherwise a SQLite file in ``directory`` (or in a temporary directory removed afterwards).
"""

from __future__ import annotations

import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError


def postgres_available(server_url: str) -> bool:
    """Whether the PostgreSQL server ``server_url`` names answers a query."""
    engine = create_engine(make_url(server_url).set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def scratch_database(server_url: str | None, *, prefix: str,
                     directory: Path | None = None, drop_attempts: int = 30) -> Iterator[str]:
    """Yield the URL of an empty database: on the PostgreSQL server ``server_url`` names, or
    a SQLite file when ``server_url`` is None."""
    if server_url is None:
        if directory is not None:
            yield f"sqlite:///{directory / (prefix + '.db')}"
            return
        with tempfile.TemporaryDirectory(prefix=f"{prefix}-") as scratch:
            yield f"sqlite:///{Path(scratch) / (prefix + '.db')}"
        return
    admin_url = make_url(server_url).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        for _ in range(drop_attempts):
            try:
                with admin.connect() as connection:
                    connection.execute(text("SELECT pg_terminate_backend(pid) FROM "
                                            "pg_stat_activity WHERE datname = :n"), {"n": name})
                    connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                break
            except OperationalError:
                time.sleep(1)
        admin.dispose()


__all__ = ["postgres_available", "scratch_database"]
