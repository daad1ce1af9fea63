"""Who owns an exception: ordered routing rules by error kind, system and entity.

Rules are read from the ``[engine.exceptions]`` table of ``accord.toml``::

    [engine.exceptions]
    default_owner = "integration_engineering"

    [[engine.exceptions.rules]]
    kind = "data_quality"
    entity = "invoice"
    owner = "finance_operations"

The first rule whose every given attribute matches wins. When none matches, a
:class:`DataQualityError` keeps the owner its connector named, other kinds fall back to
built-in defaults (conflicts to revenue operations, everything else to integration
engineering).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.errors import Team
from accord.settings import read_config_file

_DEFAULT_BY_KIND: dict[str, Team] = {
    "data_quality": Team.MASTER_DATA,
    "conflict": Team.REVENUE_OPERATIONS,
}


class OwnerRule(BaseModel):
    """Match on any of kind (error code), system and entity type; unset means any."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str | None = None
    system: str | None = None
    entity: str | None = None
    owner: Team

    def matches(self, kind: str, system: str | None, entity: str | None) -> bool:
        return ((self.kind is None or self.kind == kind)
                and (self.system is None or self.system == system)
                and (self.entity is None or self.entity == entity))


class OwnerRules(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    rules: tuple[OwnerRule, ...] = ()
    default_owner: Team = Team.INTEGRATION_ENGINEERING

    def owner_for(self, kind: str, system: str | None, entity: str | None,
                  error_owner: Team | None = None) -> Team:
        for rule in self.rules:
            if rule.matches(kind, system, entity):
                return rule.owner
        if error_owner is not None:
            return error_owner
        return _DEFAULT_BY_KIND.get(kind, self.default_owner)


class _EngineConfig(BaseModel):
    model_config = ConfigDict(extra="ignore")

    exceptions: OwnerRules = Field(default_factory=OwnerRules)


def load_owner_rules(config: dict[str, Any] | None = None) -> OwnerRules:
    """Routing rules from ``[engine.exceptions]`` of the config file (or a given dict)."""
    data = read_config_file() if config is None else config
    engine = data.get("engine", {}) if isinstance(data, dict) else {}
    return _EngineConfig.model_validate(engine).exceptions


__all__ = ["OwnerRule", "OwnerRules", "load_owner_rules"]
