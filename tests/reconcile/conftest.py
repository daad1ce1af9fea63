"""Fixtures: the three sandboxes, a database, and connector clients on them."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest

from accord.store import Database, upgrade

from .world import Sandboxes, World, build_baseline, connect


@pytest.fixture
def sandboxes(tmp_path: Path) -> Iterator[Sandboxes]:
    with ExitStack() as stack:
        yield Sandboxes.start(stack, tmp_path)


@pytest.fixture
def recon_db(sqlite_url: str) -> Iterator[Database]:
    database = Database(sqlite_url)
    upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def world(sandboxes: Sandboxes, recon_db: Database) -> Iterator[World]:
    yield from connect(sandboxes, recon_db)


@pytest.fixture
def baseline(world: World) -> World:
    build_baseline(world)
    return world
