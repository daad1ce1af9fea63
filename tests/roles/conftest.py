"""The role conformance suite: each test module names its ``ROLE``; every connector of the
installation playing that role is judged by it, on its own sandbox over real HTTP
(``tests/roles/kit.py``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord.connectors.registry import available
from tests.roles.kit import RoleSystem, connectors_of, start_system, suite_configuration


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "connector_name" not in metafunc.fixturenames:
        return
    names = [definition.name for definition in connectors_of(metafunc.module.ROLE)]
    metafunc.parametrize("connector_name", names, ids=names, scope="module")


@pytest.fixture(scope="module")
def system(connector_name: str, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[RoleSystem]:
    """The connector's adapter on its sandbox, shared by one module's tests."""
    with suite_configuration():
        definition = available()[connector_name]
    found = start_system(definition, tmp_path_factory.mktemp(connector_name))
    try:
        yield found
    finally:
        found.close()
