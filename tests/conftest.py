"""Shared fixtures: databases (SQLite and a real PostgreSQL) and sandboxes."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.demo_month import DemoMonth, run_demo_month

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def pg_admin_url() -> str:
    return os.environ.get("ACCORD_TEST_PG_URL", DEFAULT_PG_URL)


def missing_component(reason: str) -> None:
    """Skip with a visible reason outside CI; fail under CI=true."""
    if IN_CI:
        pytest.fail(f"required in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of a reachable PostgreSQL, or skip/fail."""
    url = make_url(pg_admin_url()).set(drivername="postgresql+psycopg")
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        missing_component(f"PostgreSQL not reachable at {url.render_as_string()}: {exc.orig}")
    finally:
        engine.dispose()
    return url.render_as_string(hide_password=False)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    name = f"accord_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'accord.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each store test runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(autouse=True)
def _isolated_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Tests never read the developer's accord.toml or ACCORD_* environment."""
    for key in list(os.environ):
        if key.startswith("ACCORD_") and not key.startswith("ACCORD_TEST_"):
            monkeypatch.delenv(key)
    monkeypatch.setenv("ACCORD_CONFIG", str(tmp_path / "accord.toml"))
    monkeypatch.setenv("ACCORD_DATA_DIR", str(tmp_path / ".accord"))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests of the running demo month run last: it holds the default ports (the
    README's command) from its first user to the end of the session."""
    items.sort(key=lambda item: "demo_month" in getattr(item, "fixturenames", ()))


@pytest.fixture(scope="session")
def demo_month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoMonth]:
    """One real ``accord demo --accounts 25 --keep-running`` month for the whole session,
    stopped (SIGTERM) at its end: see ``tests/demo_month.py``."""
    yield from run_demo_month(tmp_path_factory.mktemp("demo-month"))
