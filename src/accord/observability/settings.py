"""The ``[observability]`` table of ``accord.toml``::

    [observability]
    local_traces = true                  # keep spans in accord's database (trace_span)
    otlp_endpoint = "http://collector:4318/v1/traces"   # also export by OTLP/HTTP
    otlp_headers = { "x-tenant" = "acme" }
    export_interval_ms = 1000            # how long finished spans wait to be written in a batch
    trace_retention_days = 14

Without ``otlp_endpoint``, OpenTelemetry's own environment variables name the collector:
``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` (the traces URL), else ``OTEL_EXPORTER_OTLP_ENDPOINT``
(a base URL, ``/v1/traces`` appended) - so ``accord demo``, which writes its own
``accord.toml``, exports to a collector named in its environment.
"""

from __future__ import annotations

import os
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


TRACES_ENDPOINT = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
BASE_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"


def _environment_endpoint(environ: Mapping[str, str]) -> str | None:
    if environ.get(TRACES_ENDPOINT):
        return environ[TRACES_ENDPOINT]
    if environ.get(BASE_ENDPOINT):
        return f"{environ[BASE_ENDPOINT].rstrip('/')}/v1/traces"
    return None


def observability_settings(config: Mapping[str, Any],
                           environ: Mapping[str, str] | None = None) -> ObservabilitySettings:
    """The ``[observability]`` table of a configuration (defaults when absent), the OTLP
    endpoint taken from OpenTelemetry's variables in ``environ`` when the table names
    none."""
    table = dict(config.get("observability", {}) or {}) if isinstance(config, Mapping) else {}
    if not table.get("otlp_endpoint"):
        found = _environment_endpoint(os.environ if environ is None else environ)
        if found:
            table["otlp_endpoint"] = found
    return ObservabilitySettings.model_validate(table)


__all__ = ["BASE_ENDPOINT", "TRACES_ENDPOINT", "ObservabilitySettings", "observability_settings"]
