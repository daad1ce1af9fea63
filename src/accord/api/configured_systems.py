"""The connected systems as the API sees them: which connector serves a system (instance)
name, and that system's settings."""

from __future__ import annotations

from collections.abc import Mapping

from pydantic_settings import BaseSettings

from accord.canonical.roles import Role
from accord.connectors.registry import available, connector_for


class ConfiguredSystems:
    """Settings per system instance: explicit ones (``create_app(system_settings=...)``,
    keyed by instance name) first, else the connector's own settings from the configuration
    file and environment (for the connector's plain name only)."""

    def __init__(self, configured: Mapping[str, BaseSettings]) -> None:
        self.configured = configured

    def settings(self, system: str) -> BaseSettings | None:
        found = self.configured.get(system)
        if found is not None:
            return found
        definition = connector_for(system)
        if definition is None or definition.name != system:
            return None
        return definition.settings_model()

    def instances(self, kind: Role) -> list[str]:
        """The configured instances of ``kind``; the connectors' plain names when none is."""
        named = sorted(name for name in self.configured
                       if (found := connector_for(name)) is not None and found.kind is kind)
        return named or [name for name, found in available().items() if found.kind is kind]


__all__ = ["ConfiguredSystems", "connector_for"]
