"""Routing rules and their evaluation. Pure functions over a validated table."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from accord.canonical.roles import Role
from accord.errors import PermanentError

DEFAULT_TABLE = Path(__file__).parent / "tables" / "default.v1.toml"


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    legal_entity: tuple[str, ...] | None = None
    country: tuple[str, ...] | None = None
    region: tuple[str, ...] | None = None
    currency: tuple[str, ...] | None = None
    wave: tuple[str, ...] | None = Field(default=None, description="migration wave")

    def holds(self, context: RoutingContext) -> bool:
        checks = ((self.legal_entity, context.legal_entity), (self.country, context.country),
                  (self.region, context.region), (self.currency, context.currency),
                  (self.wave, context.wave))
        return all(allowed is None or value in allowed for allowed, value in checks)


class Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    when: Condition = Condition()
    targets: dict[Role, str] = Field(min_length=1)


class RoutingTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    rules: tuple[Rule, ...] = Field(min_length=1)


@dataclass(frozen=True)
class RoutingContext:
    legal_entity: str
    currency: str | None = None
    country: str | None = None
    region: str | None = None
    wave: str | None = None


@dataclass(frozen=True)
class Route:
    targets: dict[Role, str]
    because: dict[Role, str] = field(default_factory=dict)

    def target(self, role: Role) -> str:
        return self.targets[role]


class RoutingError(PermanentError):
    code = "routing"


def route(table: RoutingTable, context: RoutingContext,
          roles: tuple[Role, ...] | None = None) -> Route:
    """Pick, for each role (by default every role the table routes), the target named by the
    first rule that applies."""
    if roles is None:
        roles = tuple(role for role in Role
                      if any(role in rule.targets for rule in table.rules))
    targets: dict[Role, str] = {}
    because: dict[Role, str] = {}
    for rule in table.rules:
        if not rule.when.holds(context):
            continue
        for role, system in rule.targets.items():
            if role in roles and role not in targets:
                targets[role] = system
                because[role] = rule.name
    missing = [role.value for role in roles if role not in targets]
    if missing:
        raise RoutingError(f"no routing rule gives a {', '.join(missing)} target for legal "
                           f"entity {context.legal_entity}")
    return Route(targets, because)


def load_routing(path: Path | None = None) -> RoutingTable:
    source = path or DEFAULT_TABLE
    return RoutingTable.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))


__all__ = ["DEFAULT_TABLE", "Condition", "Role", "Route", "RoutingContext", "RoutingError",
           "RoutingTable", "Rule", "load_routing", "route"]
