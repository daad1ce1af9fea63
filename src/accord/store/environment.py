"""The environment a database belongs to: marked at its first start, checked at every one.

A database made for production stays production's: a command whose settings name another
environment (a developer's shell, the demo, a test run pointed at the wrong URL) is refused
before it writes anything, and so is a production command pointed at a development or test
database. The mark is one row of ``environment_mark``; a masked copy (``accord data
mask-copy``) also records where it was copied from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, inspect, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from accord.errors import PermanentError
from accord.settings import Environment
from accord.store.db import Database
from accord.store.models import EnvironmentMark, utcnow

MARK_ID = 1


class EnvironmentMismatch(PermanentError):
    """The database belongs to another environment than the settings name."""

    code = "environment_mismatch"


@dataclass(frozen=True)
class Mark:
    environment: Environment
    marked_at: datetime
    masked_from: str | None = None

    @property
    def masked(self) -> bool:
        return self.masked_from is not None

    def describe(self) -> str:
        what = f"a {self.environment.value} database"
        return f"{what} (a masked copy of {self.masked_from})" if self.masked else what


def _mark(row: EnvironmentMark) -> Mark:
    return Mark(Environment(row.environment), row.marked_at, row.masked_from)


def read(session: Session) -> Mark | None:
    row = session.get(EnvironmentMark, MARK_ID)
    return None if row is None else _mark(row)


def peek(engine: Engine) -> Mark | None:
    """The mark of a database that may not exist or be migrated yet (None then); reads
    only, creates nothing."""
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table(EnvironmentMark.__tablename__):
                return None
            found = connection.execute(select(
                EnvironmentMark.environment, EnvironmentMark.marked_at,
                EnvironmentMark.masked_from).where(EnvironmentMark.id == MARK_ID)).first()
    except OperationalError:
        return None
    if found is None:
        return None
    return Mark(Environment(found.environment), found.marked_at, found.masked_from)


def write(session: Session, environment: Environment, *, masked_from: str | None = None
          ) -> Mark:
    """Mark a database (a fresh one, or a masked copy being written)."""
    now = utcnow()
    row = EnvironmentMark(id=MARK_ID, environment=environment.value, marked_at=now,
                          masked_from=masked_from, masked_at=now if masked_from else None)
    session.merge(row)
    return Mark(environment, now, masked_from)


def claim(database: Database, environment: Environment) -> Mark:
    """The database's mark, written as ``environment`` when it has none; raises
    :class:`EnvironmentMismatch` when it names another environment. Of processes starting
    together on a fresh database (a server and its workers), the first mark wins."""
    with database.session() as session:
        found = read(session)
    if found is None:
        try:
            with database.session() as session:
                session.add(EnvironmentMark(id=MARK_ID, environment=environment.value,
                                            marked_at=utcnow()))
        except IntegrityError:
            pass  # another process marked it first
        with database.session() as session:
            found = read(session)
        if found is None:  # pragma: no cover - written above or by the other process
            raise EnvironmentMismatch("environment: the database could not be marked")
    check(found, environment)
    return found


def check(found: Mark, environment: Environment) -> None:
    if found.environment is not environment:
        raise EnvironmentMismatch(
            f"environment: the settings say {environment.value} (ACCORD_ENVIRONMENT), but "
            f"the database is {found.describe()}; point ACCORD_DATABASE_URL at a "
            f"{environment.value} database or set ACCORD_ENVIRONMENT={found.environment.value}")


__all__ = ["EnvironmentMismatch", "Mark", "check", "claim", "peek", "read", "write"]
