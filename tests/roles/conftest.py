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


LAST = "test_every_port_method_was_exercised"


@pytest.hookimpl(trylast=True)  # after pytest's own ordering of parametrized tests
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Each role module's ``test_every_port_method_was_exercised`` after the module's other
    tests (pytest's grouping of module-scoped parameters may place a test of the second
    system's parameters after it)."""
    last = [item for item in items if item.name.startswith(LAST + "[")
            and "tests/roles/" in item.nodeid]
    for item in last:
        items.remove(item)
    for item in last:
        module = item.nodeid.split("::", 1)[0]
        at = max(index for index, other in enumerate(items)
                 if other.nodeid.split("::", 1)[0] == module)
        items.insert(at + 1, item)


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
