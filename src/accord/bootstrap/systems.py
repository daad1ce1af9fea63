"""The flows' systems built from settings: the role adapter of every configured, enabled
system instance, from its connector (``ConnectorDefinition.adapter``) - no connector is
named here, so a new system is one connector package.

A system without credentials is left out; a flow that needs it stops on an exception that
says what to set (:class:`~accord.flows.systems.SystemNotConfigured`). Instances that point
at the same account (the one NetSuite sandbox serving both subsidiaries) share one adapter,
so they share its client's concurrency gate.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from pydantic import SecretStr

from accord.canonical.roles import Role
from accord.connectors.base import AdapterOptions
from accord.connectors.registry import connector_for
from accord.flows.systems import FlowSettings, Systems
from accord.routing import RoutingTable
from accord.settings import SystemSettings

ClientOptions = AdapterOptions
"""How the clients are built (tests make them retry without sleeping)."""


def _active(settings: SystemSettings | None) -> bool:
    return settings is not None and settings.enabled and settings.configured


def account_of(settings: SystemSettings) -> str:
    """Two instances with the same settings (secrets included) talk to the same account."""
    values = {name: value.get_secret_value() if isinstance(value, SecretStr) else str(value)
              for name, value in settings if name != "max_concurrency"}
    return json.dumps(values, sort_keys=True)


def build_systems(configured: Mapping[str, SystemSettings], routing: RoutingTable, *,
                  flow_settings: FlowSettings | None = None,
                  client_options: AdapterOptions | None = None) -> Systems:
    options = client_options or AdapterOptions()
    by_role: dict[Role, dict[str, Any]] = {Role.CRM: {}, Role.BILLING: {}, Role.ERP: {}}
    shared: dict[tuple[str, str], Any] = {}
    closers: list[Any] = []
    for name, settings in sorted(configured.items()):
        definition = connector_for(name)
        if definition is None or definition.adapter is None or not _active(settings) \
                or definition.kind not in by_role:
            continue
        account = (definition.name, account_of(settings))
        if account not in shared:
            shared[account] = definition.adapter(name, settings, options)
            close = getattr(shared[account], "close", None)
            if close is not None:
                closers.append(close)
        by_role[definition.kind][name] = shared[account]
    return Systems(crms=by_role[Role.CRM], billings=by_role[Role.BILLING],
                   erps=by_role[Role.ERP], routing=routing,
                   settings=flow_settings or FlowSettings(), closers=closers)


__all__ = ["ClientOptions", "account_of", "build_systems"]
