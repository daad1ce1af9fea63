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


def pytest_configure(config: pytest.Config) -> None:
    """The CLI's Rich tables are read at one width whatever runs the tests: a terminal, a
    pipe, or a pytest-xdist worker (which would give them 80 columns and wrap the cells the
    tests look for). Commands run as subprocesses inherit it."""
    os.environ["COLUMNS"] = "200"


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


DEFAULT_PORTS = "default-ports"
"""The group of tests that use accord's default ports (8080 and the sandboxes' own): the
README's commands as a new user types them, and the running demo month. ``make test`` runs
the suite on several processes (pytest-xdist, ``--dist loadgroup``, each module a group); this
group runs on one of them, one test at a time, so no two of them ever want the same port."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The default-ports group first, so its long demo month overlaps the rest of the suite;
    within it, the tests of the running demo month last: the month holds the default ports
    from its first user to the end of the session."""
    for item in items:
        if _uses_default_ports(item):
            item.add_marker(pytest.mark.xdist_group(DEFAULT_PORTS))
        elif item.get_closest_marker("xdist_group") is None:
            # a module's tests stay together on one process, in order: module-scoped
            # fixtures are set up once, and suites that build on their earlier tests (the
            # role conformance suites) see them
            item.add_marker(pytest.mark.xdist_group(item.nodeid.split("::", 1)[0]))
    items.sort(key=lambda item: (not _uses_default_ports(item),
                                 "demo_month" in getattr(item, "fixturenames", ())))


def _uses_default_ports(item: pytest.Item) -> bool:
    return ("demo_month" in getattr(item, "fixturenames", ())
            or item.get_closest_marker("default_ports") is not None)


@pytest.fixture(scope="session")
def demo_month(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoMonth]:
    """One real ``accord demo --accounts 25 --keep-running`` month for the whole session,
    stopped (SIGTERM) at its end: see ``tests/demo_month.py``."""
    yield from run_demo_month(tmp_path_factory.mktemp("demo-month"))
