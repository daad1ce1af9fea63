"""Discovery of connector packages: a module with a ``CONNECTOR`` (a
:class:`~accord.connectors.base.ConnectorDefinition`) is a connector. accord finds

* its own, every ``accord.connectors.<name>`` package;
* installed ones, advertised under the ``accord.connectors`` entry-point group
  (``[project.entry-points."accord.connectors"] hubspot = "accord_hubspot"``);
* configured ones, named by import path in accord.toml::

      [connectors]
      packages = ["acme_billing"]

Adding a system is adding one such package: nothing else in accord names it.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path

import accord.connectors as package
from accord.connectors.base import ConnectorDefinition
from accord.settings import ConfigFileError, config_path, read_config_file

ENTRY_POINT_GROUP = "accord.connectors"

_registered: dict[str, ConnectorDefinition] = {}


class ConnectorLoadError(ConfigFileError):
    """A configured or advertised connector package cannot be imported or declares none."""


def available() -> dict[str, ConnectorDefinition]:
    """Every connector this installation has, by name."""
    return _discover(_configured_packages())


def connector_for(system: str) -> ConnectorDefinition | None:
    """The connector serving ``system``; an instance name (``netsuite-eu``) maps to its
    connector (``netsuite``)."""
    connectors = available()
    return connectors.get(system) or connectors.get(system.split("-", 1)[0])


def register(definition: ConnectorDefinition) -> None:
    """Add a connector defined in code (an embedding application, a test)."""
    _registered[definition.name] = definition
    _discover.cache_clear()


def _configured_packages() -> tuple[str, ...]:
    path = config_path()
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ()
    return _packages_in(path, stamp)


@cache
def _packages_in(path: Path, _stamp: int) -> tuple[str, ...]:
    table = read_config_file(path).get("connectors", {})
    packages = table.get("packages", []) if isinstance(table, dict) else None
    if not isinstance(packages, list) or not all(isinstance(p, str) for p in packages):
        raise ConnectorLoadError(f"{path}: connectors.packages must be a list of import "
                                 "names, e.g. [\"acme_billing\"]")
    return tuple(packages)


def _definition_of(module_name: str, origin: str) -> ConnectorDefinition:
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConnectorLoadError(f"{origin}: cannot import {module_name!r} ({exc})") from exc
    definition = getattr(module, "CONNECTOR", None)
    if not isinstance(definition, ConnectorDefinition):
        raise ConnectorLoadError(f"{origin}: {module_name!r} declares no CONNECTOR "
                                 "(a ConnectorDefinition)")
    return definition


@cache
def _discover(packages: tuple[str, ...]) -> dict[str, ConnectorDefinition]:
    found: dict[str, ConnectorDefinition] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        definition = getattr(importlib.import_module(f"{package.__name__}.{module.name}"),
                             "CONNECTOR", None)
        if isinstance(definition, ConnectorDefinition):
            found[definition.name] = definition
    for point in entry_points(group=ENTRY_POINT_GROUP):
        definition = _definition_of(point.value, f"entry point {point.name}")
        found[definition.name] = definition
    for name in packages:
        definition = _definition_of(name, "connectors.packages")
        found[definition.name] = definition
    found.update(_registered)
    return dict(sorted(found.items()))


__all__ = ["ENTRY_POINT_GROUP", "ConnectorLoadError", "available", "connector_for", "register"]
