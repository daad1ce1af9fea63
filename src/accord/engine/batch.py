"""Batch flows: one flow run handles many inbound events of one type.

A flow's fixed cost (a DBOS workflow, its status writes, a checkpoint per step) is paid once
per batch instead of once per event, and a step can use the target system's own batch API
(NetSuite's REST batch operations take 100 records per request). A flow registers for batches
with ``handles(..., batch=N)``; the inbox pump then hands it up to ``N`` stored events of that
type at a time (see :mod:`accord.engine.dispatch`)::

    @batch_step("netsuite", "upsert_invoices", entity="invoice_number")
    def post_invoices(call: BatchCall, invoices: dict[str, dict]) -> dict[str, str | AccordError]:
        ...  # one result per correlation id: a value, or the error that refused that event

    @handles("billing", "invoice.ready", batch=100)
    @batch_flow("invoice_posting_batch")
    def post_batch(batch: Batch) -> None:
        posted = batch.absorb(post_invoices({i.correlation_id: i.payload for i in batch.alive}))

Each event keeps its own identity: its correlation id (``system:event id``) names its timeline
rows and its exception; its business keys are recorded as for a single flow. A batch step
returns one outcome per event; an event whose outcome is an error drops out of the batch
(:attr:`Batch.alive`) and gets its own exception record when the flow ends, while the others
carry on. A step that fails as a whole (retries exhausted) fails every event still in the batch,
each with its own exception. Idempotency stays per event: batch steps write with keys derived
from each event's canonical ids (NetSuite external ids), so a batch re-run after a crash or a
replay updates the same records, and the batch's own idempotency key (from the batch's
correlation id and the step's position) lets a resent batch request return the first answer.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from dbos import DBOS
from dbos import error as dbos_error
from pydantic import BaseModel, ConfigDict, Field

from accord.engine.context import current
from accord.engine.exception_queue import (
    FORK_MARK,
    Problem,
    open_exception,
    settle_retried,
    unexpected_problem,
)
from accord.engine.failures import FlowFailed
from accord.engine.flow import (
    CallStats,
    FlowInput,
    _Active,
    _active,
    _active_flow,
    gated_call,
    idempotency_key,
)
from accord.engine.retry import RetryBudget, run_with_retry
from accord.engine.timeline import Milestone, StepOutcome, StepRecord, record_step
from accord.errors import AccordError, PermanentError
from accord.observability import tracing

T = TypeVar("T")
R = TypeVar("R")

ITEMS = "items"


class BatchItem(BaseModel):
    """One inbound event inside a batch."""

    model_config = ConfigDict(frozen=True)

    inbox_id: int
    correlation_id: str
    keys: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)
    traceparent: str | None = None
    """The event's trace context, as stored with the event (the batch flow's span links to
    it)."""


@dataclass(frozen=True)
class BatchCall:
    """Handed to a batch step function on each attempt."""

    correlation_id: str
    workflow_id: str
    flow: str
    step: str
    system: str
    idempotency_key: str
    attempt: int


@dataclass(frozen=True)
class ItemFailure:
    step: str
    system: str
    entity: str | None
    error: dict[str, Any]


class Batch:
    """The events of one batch flow run and which of them are still going."""

    def __init__(self, items: list[BatchItem]) -> None:
        self.items = items
        self.failed: dict[str, ItemFailure] = {}

    @property
    def alive(self) -> list[BatchItem]:
        return [item for item in self.items if item.correlation_id not in self.failed]

    def absorb(self, outcome: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Take a batch step's outcome: failed events drop out; the values of the others,
        by correlation id."""
        values: dict[str, Any] = {}
        for correlation_id, entry in outcome.items():
            if entry.get("error") is not None:
                self.failed[correlation_id] = ItemFailure(
                    entry["step"], entry["system"], entry.get("entity"), entry["error"])
            else:
                values[correlation_id] = entry.get("value")
        return values


def batch_input(items: list[BatchItem], correlation_id: str) -> FlowInput:
    return FlowInput(correlation_id=correlation_id,
                     payload={ITEMS: [item.model_dump(mode="json") for item in items]})


def items_of(run: FlowInput) -> list[BatchItem]:
    return [BatchItem.model_validate(item) for item in run.payload.get(ITEMS, [])]


@DBOS.step(name="accord.open_item_exceptions")
def _open_item_exceptions(problems: list[Problem]) -> dict[str, int]:
    runtime = current()
    return {problem.correlation_id: open_exception(runtime.database, runtime.options.routing,
                                                   problem) for problem in problems}


@DBOS.step(name="accord.settle_retried_batch")
def _settle_batch(correlation_ids: list[str], workflow_id: str) -> None:
    for correlation_id in correlation_ids:
        settle_retried(current().database, correlation_id, workflow_id)


def _item_problems(batch: Batch, flow: str, workflow_id: str) -> list[Problem]:
    by_id = {item.correlation_id: item for item in batch.items}
    return [Problem(error=failure.error, correlation_id=cid, workflow_id=workflow_id,
                    flow=flow, step=failure.step, system=failure.system,
                    entity=failure.entity,
                    record_ref=by_id[cid].keys.get(failure.entity) if failure.entity else None)
            for cid, failure in batch.failed.items()]


def batch_flow(name: str) -> Callable[[Callable[[Batch], Any]],
                                      Callable[[FlowInput], dict[str, Any]]]:
    """Declare a batch flow (a DBOS workflow named ``name``). The function receives the
    :class:`Batch`; the flow returns ``{"items": n, "succeeded": [...], "exceptions":
    {correlation id: exception id}}`` and never fails for one event's error."""

    def decorate(fn: Callable[[Batch], Any]) -> Callable[[FlowInput], dict[str, Any]]:
        @functools.wraps(fn)
        def body(run: FlowInput) -> dict[str, Any]:
            token = _active.set(_Active(name, run))
            try:
                runtime = current()
                batch = Batch(items_of(run))
                for item in batch.items:
                    if item.keys:
                        runtime.timeline.add_keys(item.correlation_id, item.keys)
                workflow_id = DBOS.workflow_id or ""
                try:
                    fn(batch)
                except dbos_error.DBOSException:
                    raise
                except Exception as error:  # outside any batch step: every event still
                    problems = _item_problems(batch, name, workflow_id)  # going gets one
                    problems += [unexpected_problem(error, item.correlation_id, workflow_id,
                                                    name) for item in batch.alive]
                    if not problems:
                        raise
                    opened = _open_item_exceptions(problems)
                    first = problems[-1]
                    raise FlowFailed(first.error, name, opened[first.correlation_id]) from None
                problems = _item_problems(batch, name, workflow_id)
                opened = _open_item_exceptions(problems) if problems else {}
                succeeded = [item.correlation_id for item in batch.alive]
                if FORK_MARK in workflow_id and succeeded:
                    _settle_batch(succeeded, workflow_id)
                return {"items": len(batch.items), "succeeded": succeeded,
                        "exceptions": opened}
            finally:
                _active.reset(token)

        @functools.wraps(fn)
        def traced(run: FlowInput) -> dict[str, Any]:
            linked = [item.get("traceparent") for item in run.payload.get(ITEMS, [])
                      if isinstance(item, dict)]
            with tracing.flow_span(name, run.correlation_id, {}, None, DBOS.workflow_id,
                                   linked=linked):
                return body(run)

        return DBOS.workflow(name=name)(traced)

    return decorate


ItemResults = dict[str, dict[str, Any]]


def batch_step(system: str, action: str, *, entity: str | None = None,
               retry: RetryBudget | None = None, name: str | None = None,
               milestone: Milestone | None = None
               ) -> Callable[[Callable[[BatchCall, dict[str, T]], Mapping[str, Any]]],
                             Callable[[dict[str, T]], ItemResults]]:
    """Declare a batch step: one call to ``system`` for many events. The function gets the
    inputs by correlation id and returns, for each, a value or an :class:`AccordError`. A
    whole-call :class:`AccordError` is retried under the retry budget; once exhausted, every
    event of the call fails with it. Each event gets its own timeline row; an event's
    succeeded row carries ``milestone`` when one is declared."""
    step_name = name or f"{system}.{action}"

    def decorate(fn: Callable[[BatchCall, dict[str, T]], Mapping[str, Any]]
                 ) -> Callable[[dict[str, T]], ItemResults]:
        @functools.wraps(fn)
        def body(inputs: dict[str, T]) -> ItemResults:
            runtime = current()
            active = _active_flow()
            workflow_id = DBOS.workflow_id or ""
            key = idempotency_key(active.run.correlation_id, active.flow, DBOS.step_id or 0)
            stats = CallStats()

            def once() -> Mapping[str, Any]:
                stats.attempt += 1
                call = BatchCall(correlation_id=active.run.correlation_id,
                                 workflow_id=workflow_id, flow=active.flow, step=step_name,
                                 system=system, idempotency_key=key, attempt=stats.attempt)
                return gated_call(system, stats, lambda: fn(call, inputs))

            def on_retry(_number: int, error: AccordError, wait: float) -> None:
                record_step(runtime.database, StepRecord(
                    correlation_id=active.run.correlation_id, workflow_id=workflow_id,
                    flow=active.flow, step=step_name, system=system, action=action,
                    outcome=StepOutcome.RETRYING, attempt=stats.attempt,
                    latency_ms=stats.latency_ms, error=error,
                    detail={"wait_seconds": round(wait, 3), "events": len(inputs)}))

            with tracing.step_span(step_name, system, action,
                                   active.run.correlation_id) as span:
                span.set_attribute("accord.events", len(inputs))
                try:
                    raw: Mapping[str, Any] = run_with_retry(
                        once, retry or runtime.options.retry, sleep=runtime.options.sleep,
                        rng=runtime.rng, on_retry=on_retry)
                    whole: AccordError | None = None
                except AccordError as error:
                    raw, whole = {}, error
                    tracing.mark_failed(span, error.code)
            results: ItemResults = {}
            for correlation_id in inputs:
                value = raw.get(correlation_id) if whole is None else whole
                if whole is None and correlation_id not in raw:
                    value = PermanentError(f"{step_name} returned no result for this event",
                                           system=system)
                failed = isinstance(value, AccordError)
                entry = StepRecord(
                    correlation_id=correlation_id, workflow_id=workflow_id, flow=active.flow,
                    step=step_name, system=system, action=action,
                    outcome=StepOutcome.FAILED if failed else StepOutcome.SUCCEEDED,
                    attempt=stats.attempt, latency_ms=stats.latency_ms,
                    error=value if isinstance(value, AccordError) else None,
                    detail={"batch": active.run.correlation_id, "events": len(inputs)},
                    milestone=None if failed else milestone)
                if isinstance(value, AccordError):
                    record_step(runtime.database, entry)
                    results[correlation_id] = {"error": value.to_record(), "step": step_name,
                                               "system": system, "entity": entity}
                else:
                    runtime.timeline.add_step(entry)
                    results[correlation_id] = {"value": value}
            return results

        return DBOS.step(name=step_name)(body)

    return decorate


__all__ = ["Batch", "BatchCall", "BatchItem", "ItemFailure", "batch_flow", "batch_input",
           "batch_step", "items_of"]
