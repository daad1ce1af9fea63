"""Settings that point every system at a local sandbox: what ``accord init --sandboxes``
writes, and what the tests start the service with.

Each sandbox's development credentials (``accord sandbox credentials <name>``) are named
like its connector's settings, so they become that connector's ``[systems.<name>]`` table
as they are; every routing target served by the same connector (``netsuite-eu``) gets the
same table - the NetSuite sandbox is one OneWorld account holding every subsidiary.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from accord.connectors.registry import available, connector_for
from accord.routing import RoutingTable


def sandbox_tables(credentials: Mapping[str, Mapping[str, Any]], routing: RoutingTable
                   ) -> dict[str, dict[str, Any]]:
    """``[systems.<name>]`` tables from sandbox credentials keyed by sandbox name."""
    by_connector: dict[str, dict[str, Any]] = {}
    for name, definition in available().items():
        if definition.sandbox and definition.sandbox in credentials:
            by_connector[name] = {**dict(credentials[definition.sandbox]),
                                  **definition.sandbox_settings}
    tables = dict(by_connector)
    for rule in routing.rules:
        for target in rule.targets.values():
            serving = connector_for(target)
            if serving is not None and serving.name in by_connector:
                tables.setdefault(target, dict(by_connector[serving.name]))
    return tables


__all__ = ["sandbox_tables"]
