"""Which systems this installation has, and each one's settings.

A *system* is one instance of a connector: its plain name (``stripe``) or an instance name
(``netsuite-eu``, served by the ``netsuite`` connector). An instance reads its own table
``[systems.netsuite-eu]`` and its own variables ``ACCORD_NETSUITE_EU_*``. The systems are
every connector's plain name, every target the routing table names, and every
``[systems.<name>]`` table of the configuration whose name a connector serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic_settings import SettingsConfigDict

from accord.connectors.registry import available, connector_for
from accord.routing import RoutingTable
from accord.settings import SystemSettings


class UnknownSystemError(LookupError):
    """A configuration names a system no connector serves."""


def instance_settings(name: str, **values: Any) -> SystemSettings:
    """The settings of system ``name`` from the configuration (``values`` win over it)."""
    definition = connector_for(name)
    if definition is None:
        known = ", ".join(available()) or "none"
        raise UnknownSystemError(f"systems.{name}: no connector serves {name!r} (connectors: "
                                 f"{known}; an instance is named <connector>-<suffix>)")
    model = definition.settings_model
    if definition.name != name:
        env = "ACCORD_" + name.upper().replace("-", "_") + "_"
        model = type(f"{model.__name__}_{name.replace('-', '_')}", (model,), {
            "model_config": SettingsConfigDict(env_prefix=env, extra="ignore"),
            "toml_table": ("systems", name)})
    settings = model(**values)
    if not isinstance(settings, SystemSettings):  # pragma: no cover - a connector's bug
        raise TypeError(f"{definition.name}: settings must derive from SystemSettings")
    return settings


def system_names(config: Mapping[str, Any], routing: RoutingTable) -> list[str]:
    """Every system this installation knows: connectors, routing targets, configured tables."""
    names = set(available())
    names |= {target for rule in routing.rules for target in rule.targets.values()}
    tables = config.get("systems", {})
    if isinstance(tables, Mapping):
        names |= {str(name) for name in tables}
    return sorted(names)


def system_settings(config: Mapping[str, Any], routing: RoutingTable,
                    overrides: Mapping[str, Mapping[str, Any]] | None = None
                    ) -> dict[str, SystemSettings]:
    """Settings of every known system, enabled or not, configured or not. ``overrides``
    gives values by system name that win over the configuration (tests, the demo)."""
    extra = overrides or {}
    return {name: instance_settings(name, **dict(extra.get(name, {})))
            for name in system_names(config, routing)}


__all__ = ["UnknownSystemError", "instance_settings", "system_names", "system_settings"]
