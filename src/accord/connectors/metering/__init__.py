"""Metering: the product reports usage to accord's own API (``POST /v1/usage``), one record
per usage event, to be billed as overage. accord is the endpoint here, so there is no client
to build and nothing to probe beyond accord itself."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic_settings import SettingsConfigDict

from accord.canonical.events import EventType
from accord.canonical.roles import Role
from accord.connectors.base import (
    ConnectorDefinition,
    EventFacts,
    InboundEvent,
    ProbeResult,
    ProbeStatus,
)
from accord.resilience import LimitsProfile
from accord.settings import SystemSettings

SYSTEM = "metering"


class MeteringSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_METERING_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", SYSTEM)


def probe(_settings: Any) -> ProbeResult:
    return ProbeResult(ProbeStatus.OK, "usage arrives at POST /v1/usage (an operator token)")


def describe_event(event: InboundEvent) -> EventFacts:
    payload = event.payload
    return EventFacts(keys={"usage_id": str(payload.get("id") or event.event_id),
                            "account_id": str(payload.get("account_id") or "")})


CONNECTOR = ConnectorDefinition(
    name=SYSTEM,
    kind=Role.METERING,
    description="the product's metering, reporting usage to accord's API",
    limits=LimitsProfile(),
    settings_model=MeteringSettings,
    probe=probe,
    events={"usage.recorded": EventType.USAGE_RECORDED.value},
    describe_event=describe_event,
)

__all__ = ["CONNECTOR", "SYSTEM", "MeteringSettings"]
