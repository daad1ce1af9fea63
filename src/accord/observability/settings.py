"""The ``[observability]`` table of ``accord.toml``::

    [observability]
    local_traces = true                  # keep spans in accord's database (trace_span)
    otlp_endpoint = "http://collector:4318/v1/traces"   # also export by OTLP/HTTP
    otlp_headers = { "x-tenant" = "acme" }
    export_interval_ms = 1000            # how long finished spans wait to be written in a batch
    trace_retention_days = 14
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ObservabilitySettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    local_traces: bool = Field(default=True, description="keep spans in the trace_span table")
    otlp_endpoint: str | None = Field(default=None,
                                      description="OTLP/HTTP traces URL (…/v1/traces)")
    otlp_headers: dict[str, str] = Field(default_factory=dict)
    export_interval_ms: int = Field(default=1000, ge=10, le=60_000)
    trace_retention_days: int = Field(default=14, ge=1)
    service_name: str = "accord"


def observability_settings(config: Mapping[str, Any]) -> ObservabilitySettings:
    """The ``[observability]`` table of a configuration (defaults when absent)."""
    table = config.get("observability", {}) if isinstance(config, Mapping) else {}
    return ObservabilitySettings.model_validate(table or {})


__all__ = ["ObservabilitySettings", "observability_settings"]
