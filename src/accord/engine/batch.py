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
from typing import Any, Concatenate, ParamSpec, TypeVar

from dbos import DBOS
from dbos import error as dbos_error
from pydantic import BaseModel, ConfigDict, Field

from accord.canonical.roles import Role
from accord.engine.context import current
from accord.engine.exception_queue import (
    FORK_MARK,
    Problem,
    open_exception,
    settle_retried,
    unexpected_problem,
)
from accord.engine.failures import EngineError, FlowFailed
from accord.engine.flow import (
    CallStats,
    FlowInput,
    _Active,
    _active,
    _active_flow,
    flow_name,
    gated_call,
    idempotency_key,
    name_flow,
    start_flow,
)
from accord.engine.inbox import workflow_id_for
from accord.engine.retry import RetryBudget, run_with_retry
from accord.engine.timeline import Milestone, StepOutcome, StepRecord, record_step
from accord.errors import AccordError, Outcome, PermanentError
from accord.observability import tracing
from accord.store.transient import is_disconnect

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")

ITEMS = "items"
BATCH_STEP_SUFFIX = "[batch]"
"""Ends the DBOS name of a batch step (``erp.post_invoice[batch]``); its timeline rows and
spans carry the step's own name (``erp.post_invoice``), as a flow of one event's step does."""


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
    system: str | None = None
    """The system instance the event came from (it plays its role for this event)."""
    partition_key: str | None = None
    """The canonical customer the event concerns (orders the event's own flow, when the
    item is run alone)."""

    def workflow_id(self) -> str:
        """The id the event's own flow has when it runs alone: the one intake gives a flow
        of one event (``in-<inbox id>-<system>-<event id>``)."""
        system, _, event_id = self.correlation_id.partition(":")
        return workflow_id_for(self.inbox_id, self.system or system, event_id)

    def flow_input(self) -> FlowInput:
        """The event as a flow of one event receives it."""
        return FlowInput(correlation_id=self.correlation_id, keys=dict(self.keys),
                         payload=dict(self.payload), partition_key=self.partition_key,
                         system=self.system, traceparent=self.traceparent)


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
    system: str | None
    entity: str | None
    error: dict[str, Any]
    record_ref: str | None = None
    """The record the exception is about, when not the event's ``entity`` key."""


class Batch:
    """The events of one batch flow run and which of them are still going: an event leaves
    :attr:`alive` when a step fails it (:meth:`absorb`) or when it is handed to its own flow
    (:meth:`run_alone`)."""

    def __init__(self, items: list[BatchItem],
                 single: Callable[[FlowInput], Any] | None = None) -> None:
        self.items = items
        self.failed: dict[str, ItemFailure] = {}
        self.handed_off: dict[str, str] = {}
        """correlation id -> workflow id of the event's own flow (:meth:`run_alone`)."""
        self.single = single

    @property
    def alive(self) -> list[BatchItem]:
        return [item for item in self.items if item.correlation_id not in self.failed
                and item.correlation_id not in self.handed_off]

    def run_alone(self, item: BatchItem) -> str:
        """Hand ``item`` to the flow's single-event counterpart, started as a child flow
        under the id intake gives a flow of one event (a re-run of the batch finds the child
        it started); the event leaves the batch and that flow owns its outcome. Returns the
        child's workflow id."""
        if self.single is None:
            raise EngineError("run_alone: this batch flow declares no single-event flow "
                              "(batch_flow(name, single=...))")
        workflow_id = item.workflow_id()
        start_flow(self.single, item.flow_input(), workflow_id=workflow_id)
        self.handed_off[item.correlation_id] = workflow_id
        return workflow_id

    def fail(self, item: BatchItem, error: AccordError, flow: str) -> None:
        """``item`` stops on ``error`` met in the flow's own code (not in a step), as a flow
        of one event named ``flow`` stops: its exception is about the event."""
        problem = unexpected_problem(error, item.correlation_id, None, flow)
        self.failed[item.correlation_id] = ItemFailure(
            problem.step, problem.system, problem.entity, problem.error, problem.record_ref)

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
                    record_ref=failure.record_ref or (
                        by_id[cid].keys.get(failure.entity) if failure.entity else None))
            for cid, failure in batch.failed.items()]


_singles: dict[str, Callable[[FlowInput], Any]] = {}
"""batch flow name -> its single-event counterpart."""


def single_for(name: str) -> Callable[[FlowInput], Any] | None:
    """The single-event flow of the batch flow ``name`` (a DBOS workflow name), if any."""
    return _singles.get(name.rsplit(".", 1)[-1])


def batch_flow(name: str, *, single: Callable[[FlowInput], Any] | None = None,
               item_outcome: str = "done"
               ) -> Callable[[Callable[[Batch], Any]], Callable[[FlowInput], dict[str, Any]]]:
    """Declare a batch flow (a DBOS workflow named ``name``). The function receives the
    :class:`Batch`; the flow returns ``{"items": n, "succeeded": [...], "exceptions":
    {correlation id: exception id}, "handed_off": {correlation id: workflow id}, "flow":
    ..., "outcomes": {outcome: count}}`` and never fails for one event's error.

    ``single`` is the flow that does the same work for one event: an event the batch hands
    off (:meth:`Batch.run_alone`) runs there, and retrying or replaying one event of the
    batch runs it there alone (:func:`batch_item`), never the whole batch again. With it,
    the flow counts its events as that flow's (``"flow"``): a succeeded event as
    ``item_outcome``, a failed one as ``exception``; a handed-off one is counted by its own
    flow."""

    def decorate(fn: Callable[[Batch], Any]) -> Callable[[FlowInput], dict[str, Any]]:
        counted_as = flow_name(single) if single is not None else name
        if single is not None:
            _singles[name] = single

        @functools.wraps(fn)
        def body(run: FlowInput) -> dict[str, Any]:
            token = _active.set(_Active(name, run))
            try:
                runtime = current()
                batch = Batch(items_of(run), single)
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
                outcomes = {outcome: count for outcome, count in (
                    (item_outcome, len(succeeded)), ("exception", len(opened))) if count}
                return {"items": len(batch.items), "succeeded": succeeded,
                        "exceptions": opened, "handed_off": dict(batch.handed_off),
                        "flow": counted_as, "outcomes": outcomes}
            finally:
                _active.reset(token)

        @functools.wraps(fn)
        def traced(run: FlowInput) -> dict[str, Any]:
            items = items_of(run)
            if len(items) == 1:  # a batch of one joins its event's trace, as a flow of one
                only = items[0]
                with tracing.flow_span(name, run.correlation_id, only.keys, only.traceparent,
                                       DBOS.workflow_id):
                    return body(run)
            linked = [tracing.LinkedEvent(item.traceparent, item.correlation_id, item.keys)
                      for item in items]
            with tracing.flow_span(name, run.correlation_id, {}, None, DBOS.workflow_id,
                                   linked=linked):
                return body(run)

        declared: Callable[[FlowInput], dict[str, Any]] = DBOS.workflow(name=name)(traced)
        name_flow(declared, name)
        return declared

    return decorate


ItemResults = dict[str, dict[str, Any]]


def per_event(inputs: Mapping[str, T], work: Callable[[T], R], system: str, *,
              calls: bool = False) -> dict[str, R | AccordError]:
    """``work`` on each event's input inside a batch step: an event's classified error is
    its own outcome, and any other exception becomes a :class:`PermanentError` naming its
    type (as :func:`~accord.engine.flow.gated_call` makes one for a step), so one bad event
    never fails its neighbours. A retryable error (or accord's database going away) is
    raised instead: the step retries the whole call under its budget, which is safe for
    calls that read or upsert. With ``calls``, each event's ``work`` is a request to
    ``system``: every one after the first waits for the system's rate (the step's limit slot
    paid for the first), so a batch never sends faster than the system allows."""
    limiter = current().limiter(system) if calls else None
    results: dict[str, R | AccordError] = {}
    for index, (correlation_id, value) in enumerate(inputs.items()):
        if limiter is not None and index:
            limiter.pace()  # the step's slot paid for the first call
        try:
            results[correlation_id] = work(value)
        except AccordError as error:
            if error.outcome is Outcome.RETRY:
                raise
            results[correlation_id] = error
        except Exception as error:
            if is_disconnect(error):
                raise
            results[correlation_id] = PermanentError(f"{type(error).__name__}: {error}",
                                                     system=system)
    return results


def batch_step(system: str | Role, action: str, *, entity: str | None = None,
               retry: RetryBudget | None = None, name: str | None = None,
               milestone: Milestone | None = None
               ) -> Callable[[Callable[Concatenate[BatchCall, P], Mapping[str, Any]]],
                             Callable[P, ItemResults]]:
    """Declare a batch step: one call to ``system`` for many events. The function gets the
    inputs by correlation id and returns, for each, a value or an :class:`AccordError`. A
    whole-call :class:`AccordError` is retried under the retry budget; once exhausted, every
    event of the call fails with it. Each event gets its own timeline row; an event's
    succeeded row carries ``milestone`` when one is declared.

    ``system`` may be a role (``Role.ERP``), as for :func:`~accord.engine.flow.step`: the
    step then calls the instance named by its first argument (``post_invoices(erp,
    inputs)``), whose limits, timeline rows and exceptions they are; the inputs by
    correlation id are the argument after it. The step is named after the role."""
    step_name = name or f"{system}.{action}"
    by_role = isinstance(system, Role)

    def decorate(fn: Callable[Concatenate[BatchCall, P], Mapping[str, Any]]
                 ) -> Callable[P, ItemResults]:
        @functools.wraps(fn)
        def body(*args: P.args, **kwargs: P.kwargs) -> ItemResults:
            target = str(args[0]) if by_role else str(system)
            given = args[1] if by_role else args[0]
            inputs: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
            runtime = current()
            active = _active_flow()
            workflow_id = DBOS.workflow_id or ""
            key = idempotency_key(active.run.correlation_id, active.flow, DBOS.step_id or 0)
            stats = CallStats()

            def once() -> Mapping[str, Any]:
                stats.attempt += 1
                call = BatchCall(correlation_id=active.run.correlation_id,
                                 workflow_id=workflow_id, flow=active.flow, step=step_name,
                                 system=target, idempotency_key=key, attempt=stats.attempt)
                return gated_call(target, stats, lambda: fn(call, *args, **kwargs))

            def on_retry(_number: int, error: AccordError, wait: float) -> None:
                record_step(runtime.database, StepRecord(
                    correlation_id=active.run.correlation_id, workflow_id=workflow_id,
                    flow=active.flow, step=step_name, system=target, action=action,
                    outcome=StepOutcome.RETRYING, attempt=stats.attempt,
                    latency_ms=stats.latency_ms, error=error,
                    detail={"wait_seconds": round(wait, 3), "events": len(inputs)}))

            with tracing.step_span(step_name, target, action,
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
                                           system=target)
                failed = isinstance(value, AccordError)
                entry = StepRecord(
                    correlation_id=correlation_id, workflow_id=workflow_id, flow=active.flow,
                    step=step_name, system=target, action=action,
                    outcome=StepOutcome.FAILED if failed else StepOutcome.SUCCEEDED,
                    attempt=stats.attempt, latency_ms=stats.latency_ms,
                    error=value if isinstance(value, AccordError) else None,
                    detail={"batch": active.run.correlation_id, "events": len(inputs)},
                    milestone=None if failed else milestone)
                if isinstance(value, AccordError):
                    record_step(runtime.database, entry)
                    results[correlation_id] = {"error": value.to_record(), "step": step_name,
                                               "system": target, "entity": entity}
                else:
                    runtime.timeline.add_step(entry)
                    results[correlation_id] = {"value": value}
            return results

        # its own name in DBOS: a flow of one event may declare a step of the same name
        return DBOS.step(name=f"{step_name}{BATCH_STEP_SUFFIX}")(body)

    return decorate


@dataclass(frozen=True)
class ItemRun:
    """One event of a batch flow run, to run alone through the batch flow's single-event
    flow (retrying its exception, replaying it)."""

    single: Callable[[FlowInput], Any]
    item: BatchItem

    def workflow_id(self, mark: str) -> str:
        """``<the event's own flow id><mark>``: with a fork mark in ``mark``, the run
        settles the event's open exceptions when it succeeds."""
        return f"{self.item.workflow_id()}{mark}"

    def start(self, mark: str) -> str:
        workflow_id = self.workflow_id(mark)
        start_flow(self.single, self.item.flow_input(), workflow_id=workflow_id)
        return workflow_id


def batch_item(workflow_id: str, correlation_id: str) -> ItemRun | None:
    """The event ``correlation_id`` of the batch flow run ``workflow_id``, to run alone;
    None when that run is no batch flow with a single-event flow, or holds no such event
    (a flow of one event: fork it instead)."""
    found = DBOS.list_workflows(workflow_ids=[workflow_id], load_input=True)
    if not found or found[0].name is None:
        return None
    single = single_for(found[0].name)
    stored: Mapping[str, Any] = found[0].input or {}
    arguments = stored.get("args") or ()
    if single is None or not arguments:
        return None
    run = arguments[0]
    run = run if isinstance(run, FlowInput) else FlowInput.model_validate(run)
    for item in items_of(run):
        if item.correlation_id == correlation_id:
            return ItemRun(single, item)
    return None


__all__ = [
    "BATCH_STEP_SUFFIX",
    "Batch",
    "BatchCall",
    "BatchItem",
    "ItemFailure",
    "ItemRun",
    "batch_flow",
    "batch_input",
    "batch_item",
    "batch_step",
    "items_of",
    "per_event",
    "single_for",
]
