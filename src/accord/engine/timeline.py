"""The timeline: one row per step attempt, findable by correlation id or any business key."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accord.errors import AccordError
from accord.store import Database
from accord.store.models import BusinessKey, TimelineEntry


class StepOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    RETRYING = "retrying"
    FAILED = "failed"


@dataclass(frozen=True)
class StepRecord:
    correlation_id: str
    workflow_id: str | None
    flow: str
    step: str
    system: str | None
    action: str
    outcome: StepOutcome
    attempt: int
    latency_ms: int | None
    error: AccordError | None = None
    detail: dict[str, Any] | None = field(default=None)


class TimelineView(BaseModel):
    """One timeline row as shown to people and the CLI."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    correlation_id: str
    workflow_id: str | None
    flow: str
    step: str
    system: str | None
    action: str
    outcome: StepOutcome
    attempt: int
    latency_ms: int | None
    error_code: str | None
    error_message: str | None
    occurred_at: datetime


def record_step(database: Database, record: StepRecord) -> None:
    error = record.error
    with database.session() as session:
        session.add(TimelineEntry(
            correlation_id=record.correlation_id, workflow_id=record.workflow_id,
            flow=record.flow, step=record.step, system=record.system, action=record.action,
            outcome=record.outcome.value, attempt=record.attempt, latency_ms=record.latency_ms,
            error_code=error.code if error else None,
            error_message=str(error) if error else None,
            detail=record.detail))


def record_keys(database: Database, correlation_id: str, keys: Mapping[str, str]) -> None:
    """Index a flow's business keys (idempotent; concurrent callers may race)."""
    for _ in range(3):
        try:
            with database.session() as session:
                existing = {(k.kind, k.value) for k in session.scalars(
                    select(BusinessKey).where(BusinessKey.correlation_id == correlation_id))}
                for kind, value in keys.items():
                    if (kind, value) not in existing:
                        session.add(BusinessKey(correlation_id=correlation_id, kind=kind,
                                                value=value))
            return
        except IntegrityError:
            continue


def correlations_for_key(database: Database, value: str, kind: str | None = None) -> list[str]:
    """Correlation ids whose flows concern the business key ``value`` (of ``kind`` if given)."""
    query = select(BusinessKey.correlation_id).where(BusinessKey.value == value)
    if kind is not None:
        query = query.where(BusinessKey.kind == kind)
    with database.session() as session:
        return sorted(set(session.scalars(query)))


def keys_for(database: Database, correlation_id: str) -> dict[str, str]:
    with database.session() as session:
        return {k.kind: k.value for k in session.scalars(
            select(BusinessKey).where(BusinessKey.correlation_id == correlation_id))}


def entries(database: Database, correlation_ids: list[str]) -> list[TimelineView]:
    with database.session() as session:
        rows = session.scalars(
            select(TimelineEntry).where(TimelineEntry.correlation_id.in_(correlation_ids))
            .order_by(TimelineEntry.occurred_at, TimelineEntry.id))
        return [TimelineView.model_validate(row) for row in rows]


def search(database: Database, value: str, kind: str | None = None) -> list[TimelineView]:
    """Timeline entries of every flow that concerns ``value``: a correlation id or any
    business key (opportunity id, customer id, invoice number, ...)."""
    ids = set(correlations_for_key(database, value, kind))
    if kind is None:
        ids.add(value)
    return entries(database, sorted(ids))


__all__ = [
    "StepOutcome",
    "StepRecord",
    "TimelineView",
    "correlations_for_key",
    "entries",
    "keys_for",
    "record_keys",
    "record_step",
    "search",
]
