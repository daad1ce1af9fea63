"""The environment mark's table: the model and its migration agree, up and down, on SQLite
and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from accord.settings import Environment
from accord.store import Database, upgrade
from accord.store.environment import EnvironmentMismatch, claim, peek
from accord.store.migrate import alembic_config
from accord.store.models import Base


def test_the_environment_mark_migrates_up_and_down(database_url: str) -> None:
    database = Database(database_url)
    try:
        assert peek(database.engine) is None
        upgrade(database.engine)
        with database.engine.connect() as connection:
            drift = compare_metadata(MigrationContext.configure(connection), Base.metadata)
        assert [d for d in drift if "environment_mark" in repr(d)] == []
        assert claim(database, Environment.TEST).environment is Environment.TEST
        assert claim(database, Environment.TEST).environment is Environment.TEST
        with pytest.raises(EnvironmentMismatch, match="the database is a test database"):
            claim(database, Environment.PRODUCTION)
        command.downgrade(alembic_config(database.engine), "0016")
        assert not inspect(database.engine).has_table("environment_mark")
        assert peek(database.engine) is None
    finally:
        database.dispose()
