"""The connected systems at a glance: each connector and configured instance, whether it is
configured, whether it takes webhooks, its published limits and recent use; on request, the
connector's own probe (the check ``accord doctor`` runs)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from sqlalchemy.orm import Session

from accord.api.configured_systems import ConfiguredSystems, connector_for
from accord.api.kpis import api_usage
from accord.connectors.registry import available


class SystemView(BaseModel):
    system: str
    connector: str
    kind: str
    description: str
    takes_webhooks: bool
    requests_per_second_limit: float | None
    daily_limit: int | None
    max_concurrency: int | None
    calls_last_hour: int
    calls_last_24h: int


class ProbeView(BaseModel):
    system: str
    status: str
    detail: str
    fix: str


def list_systems(session: Session, systems: ConfiguredSystems, now: datetime) -> list[SystemView]:
    """Every connector by its name, every configured instance, and every system the timeline
    has seen in the last 24 hours."""
    usage = {row.system: row for row in api_usage(session, now)}
    names = set(available()) | {name for name in systems.configured
                                if connector_for(name) is not None} | set(usage)
    views = []
    for name in sorted(names):
        definition = connector_for(name)
        if definition is None:
            continue
        used = usage.get(name)
        views.append(SystemView(
            system=name, connector=definition.name, kind=definition.kind.value,
            description=definition.description,
            takes_webhooks=definition.webhook_verifier is not None,
            requests_per_second_limit=definition.limits.requests_per_second,
            daily_limit=definition.limits.daily_requests,
            max_concurrency=definition.limits.max_concurrency,
            calls_last_hour=used.calls_last_hour if used else 0,
            calls_last_24h=used.calls_last_24h if used else 0))
    return views


def probe_system(systems: ConfiguredSystems, system: str) -> ProbeView | None:
    """Run the connector's probe with the system's settings; None for an unknown system."""
    definition = connector_for(system)
    settings = systems.settings(system)
    if definition is None or settings is None:
        return None
    result = definition.probe(settings)
    return ProbeView(system=system, status=result.status.value, detail=result.detail,
                     fix=result.fix)


__all__ = ["ProbeView", "SystemView", "list_systems", "probe_system"]
