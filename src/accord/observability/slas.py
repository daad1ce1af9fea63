"""Service levels and alert thresholds: the ``[slas]`` and ``[alerts]`` tables of
``accord.toml``. The alert rules and dashboard (:mod:`accord.observability.alerting`) and the
owners' notifications (:mod:`accord.notify`) read the same values::

    [slas]
    invoice_to_erp_minutes = 15       # an invoice must reach the ERP within 15 minutes
    order_activation_minutes = 30     # a won deal's subscription runs within 30 minutes
    payment_to_erp_minutes = 60
    payment_to_crm_minutes = 120

    [slas.exceptions.finance_operations]   # acted on within 4 business hours
    hours = 4
    business_hours = true

    [slas.business_hours]             # when business hours run (the owners' week)
    start = 9
    end = 17
    weekdays = [0, 1, 2, 3, 4]        # Monday = 0
    timezone = "Europe/Berlin"

    [alerts]
    for = "5m"                        # how long a condition holds before an alert fires
    inbox_backlog = 500
    inbox_oldest_minutes = 15
    queue_waiting = 1000
    vendor_error_ratio = 0.1          # failed calls / calls, per system, over 15 minutes
    vendor_throttles_per_minute = 30
    flows_failed_per_hour = 10
    reconciliation_differences = 0
    reconciliation_stale_hours = 26
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field, field_validator

from accord.errors import Team


class BusinessHours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(default=9, ge=0, le=23)
    end: int = Field(default=17, ge=1, le=24)
    weekdays: tuple[int, ...] = (0, 1, 2, 3, 4)
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _known(cls, value: str) -> str:
        ZoneInfo(value)  # raises for an unknown zone
        return value

    def elapsed(self, since: datetime, until: datetime) -> timedelta:
        """Business time between two instants (hour by hour, then the partial hours)."""
        zone = ZoneInfo(self.timezone)
        at, end = since.astimezone(zone), until.astimezone(zone)
        total = timedelta()
        while at < end:
            step_end = min(end, (at + timedelta(hours=1)).replace(minute=0, second=0,
                                                                   microsecond=0))
            if at.weekday() in self.weekdays and self.start <= at.hour < self.end:
                total += step_end - at
            at = step_end
        return total


class ExceptionSla(BaseModel):
    """How long an owner has to act on an open exception."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    hours: float = Field(gt=0)
    business_hours: bool = False


DEFAULT_EXCEPTION_SLAS: dict[str, ExceptionSla] = {
    Team.FINANCE_OPERATIONS.value: ExceptionSla(hours=4, business_hours=True),
    Team.REVENUE_OPERATIONS.value: ExceptionSla(hours=8, business_hours=True),
    Team.MASTER_DATA.value: ExceptionSla(hours=8, business_hours=True),
    Team.INTEGRATION_ENGINEERING.value: ExceptionSla(hours=2),
}


class Slas(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    invoice_to_erp_minutes: float = Field(default=15, gt=0)
    order_activation_minutes: float = Field(default=30, gt=0)
    payment_to_erp_minutes: float = Field(default=60, gt=0)
    payment_to_crm_minutes: float = Field(default=120, gt=0)
    exceptions: dict[str, ExceptionSla] = Field(
        default_factory=lambda: dict(DEFAULT_EXCEPTION_SLAS))
    business_hours: BusinessHours = Field(default_factory=BusinessHours)

    @field_validator("exceptions", mode="before")
    @classmethod
    def _over_defaults(cls, value: Any) -> Any:
        """An owner named in the file replaces its default; the others keep theirs."""
        if isinstance(value, Mapping):
            return {**DEFAULT_EXCEPTION_SLAS, **value}
        return value

    def exception_sla(self, owner: str) -> ExceptionSla | None:
        return self.exceptions.get(owner)

    def age(self, owner: str, since: datetime, until: datetime) -> timedelta:
        """How long an exception of ``owner`` has waited, as its SLA counts time."""
        sla = self.exception_sla(owner)
        if sla is not None and sla.business_hours:
            return self.business_hours.elapsed(since, until)
        return until - since


DURATION = re.compile(r"^\d+[smh]$")


class Alerts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    for_: str = Field(default="5m", alias="for")
    inbox_backlog: int = Field(default=500, ge=0)
    inbox_oldest_minutes: float = Field(default=15, gt=0)
    queue_waiting: int = Field(default=1000, ge=0)
    vendor_error_ratio: float = Field(default=0.1, gt=0, le=1)
    vendor_throttles_per_minute: float = Field(default=30, ge=0)
    flows_failed_per_hour: float = Field(default=10, ge=0)
    reconciliation_differences: int = Field(default=0, ge=0)
    reconciliation_stale_hours: float = Field(default=26, gt=0)

    @field_validator("for_")
    @classmethod
    def _duration(cls, value: str) -> str:
        if not DURATION.match(value):
            raise ValueError("a Prometheus duration such as 30s, 5m or 1h")
        return value


def slas_of(config: Mapping[str, Any]) -> Slas:
    return Slas.model_validate(config.get("slas", {}) or {})


def alerts_of(config: Mapping[str, Any]) -> Alerts:
    return Alerts.model_validate(config.get("alerts", {}) or {})


__all__ = ["Alerts", "BusinessHours", "ExceptionSla", "Slas", "alerts_of", "slas_of"]
