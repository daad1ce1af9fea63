"""Connectors the engine tests define in code: a system name, the role it plays, its events
in accord's words and how one is described, registered as any connector package would be."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from pydantic_settings import SettingsConfigDict

from accord.canonical.roles import Role
from accord.connectors.base import (
    ConnectorDefinition,
    EventFacts,
    InboundEvent,
    ProbeResult,
    ProbeStatus,
)
from accord.connectors.registry import register
from accord.resilience import LimitsProfile
from accord.settings import SystemSettings


class ToySettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_TOY_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "toy")


def _probe(_settings: Any) -> ProbeResult:
    return ProbeResult(ProbeStatus.OK, "a test's system")


def toy_connector(name: str, role: Role, events: Mapping[str, str],
                  describe: Callable[[InboundEvent], EventFacts]) -> ConnectorDefinition:
    definition = ConnectorDefinition(
        name=name, kind=role, description=f"the engine tests' {role.value}",
        limits=LimitsProfile(), settings_model=ToySettings, probe=_probe,
        events=dict(events), describe_event=describe)
    register(definition)
    return definition
