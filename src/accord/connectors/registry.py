"""Discovery of connector packages: every ``accord.connectors.<name>`` with a ``CONNECTOR``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import accord.connectors as package
from accord.connectors.base import ConnectorDefinition


@cache
def available() -> dict[str, ConnectorDefinition]:
    found: dict[str, ConnectorDefinition] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        definition = getattr(importlib.import_module(f"{package.__name__}.{module.name}"),
                             "CONNECTOR", None)
        if isinstance(definition, ConnectorDefinition):
            found[definition.name] = definition
    return dict(sorted(found.items()))


def connector_for(system: str) -> ConnectorDefinition | None:
    """The connector serving ``system``; an instance name (``netsuite-eu``) maps to its
    connector (``netsuite``)."""
    connectors = available()
    return connectors.get(system) or connectors.get(system.split("-", 1)[0])


__all__ = ["available", "connector_for"]
