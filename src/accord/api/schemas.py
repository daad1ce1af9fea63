"""Response models shared by the API and the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord.engine.exception_queue import ExceptionView
from accord.engine.timeline import Milestone, StepOutcome
from accord.notify.notifier import Channel, Reason
from accord.reconcile.runs import ExplainedDifference


class Step(BaseModel):
    id: int
    occurred_at: datetime
    flow: str
    step: str
    system: str | None
    action: str
    outcome: StepOutcome
    milestone: Milestone | None = None
    attempt: int
    latency_ms: int | None
    error_code: str | None
    error_message: str | None


class StepRow(Step):
    """One step in a listing: which trace and workflow it belongs to."""

    correlation_id: str
    workflow_id: str | None


class StepPage(BaseModel):
    """Timeline rows in id order; ask again with ``after_id=next_after_id`` for more."""

    steps: list[StepRow]
    next_after_id: int | None


class StepDetail(Step):
    """One step with what it sent and got (``detail``), secrets redacted and, for viewers,
    personal data masked."""

    correlation_id: str
    workflow_id: str | None
    detail: dict[str, Any] | None


class Trace(BaseModel):
    correlation_id: str
    keys: dict[str, list[str]]
    steps: list[Step]


class TimelineAnswer(BaseModel):
    query: str
    traces: list[Trace]


class FieldView(BaseModel):
    value: Any
    masked: bool = False
    owner: str | None
    source: str | None
    changed_at: datetime | None


class ExceptionSummary(BaseModel):
    id: int
    kind: str
    owner: str
    status: str
    system: str | None
    entity_type: str | None
    record_ref: str | None
    field: str | None
    reason: str
    correlation_id: str | None
    step: str | None
    occurrences: int
    created_at: datetime
    updated_at: datetime
    differences: int = Field(default=0, description="reconciliation differences this "
                             "exception explains (attached to it, not opened apart)")


class NotificationView(BaseModel):
    """One message sent (or tried) to the owners about an exception (:mod:`accord.notify`):
    why, over which channel, to whom - addresses, or a webhook's name, never its URL."""

    model_config = ConfigDict(from_attributes=True)

    reason: Reason
    channel: Channel
    recipient: str
    subject: str
    digest: int = Field(description="exceptions in the digest it was part of; 0 alone")
    status: str = Field(description="sent, failed (tried again next pass) or sending")
    error: str | None
    sent_at: datetime


class ExceptionDetail(ExceptionView):
    """One exception with its context, the reconciliation differences it explains and the
    notifications its owners were sent about it."""

    differences: list[ExplainedDifference]
    notifications: list[NotificationView] = Field(default_factory=list)


class Customer360(BaseModel):
    canonical_id: str
    version: int
    fields: dict[str, FieldView]
    ids: dict[str, str]
    open_exceptions: list[ExceptionSummary]


class CustomerRow(BaseModel):
    """One customer in the customer list: its golden record's headline fields."""

    canonical_id: str
    legal_name: str | None
    legal_entity: str | None
    currency: str | None
    status: str | None
    version: int


class CountBy(BaseModel):
    key: str
    count: int


class Kpis(BaseModel):
    """Business and technical indicators computed from the store."""

    open_exceptions: int
    open_exceptions_by_owner: list[CountBy]
    blocked_by_validation: int
    inbox_backlog: int
    inbox_by_status: list[CountBy]
    steps_last_24h: int
    step_errors_last_24h: int
    retries_last_24h: int
    error_rate_last_24h: float
    differences_explained: int = Field(
        default=0, description="reconciliation differences the open exceptions explain")


__all__ = [
    "CountBy",
    "Customer360",
    "CustomerRow",
    "ExceptionDetail",
    "ExceptionSummary",
    "FieldView",
    "Kpis",
    "NotificationView",
    "Step",
    "StepDetail",
    "StepPage",
    "StepRow",
    "TimelineAnswer",
    "Trace",
]
