"""Security suite fixtures: the real app on SQLite (each test its own database)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.security.support import App, running_app


@pytest.fixture
def app(sqlite_url: str) -> Iterator[App]:
    with running_app(sqlite_url) as running:
        yield running


# the flows' real service on the three sandboxes (tests/flows/conftest.py), for the
# personal-data-at-rest test
from tests.flows.conftest import deployment, engine, make_systems, sandboxes  # noqa: E402

__all__ = ["app", "deployment", "engine", "make_systems", "sandboxes"]
