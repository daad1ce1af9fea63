"""Declaring flows and steps.

A *flow* is a DBOS workflow taking one :class:`FlowInput` (correlation id, business keys,
payload). A *step* is a DBOS step making one idempotent call to one system::

    @step("billing", "create_invoice", entity="invoice")
    def create_invoice(call: StepCall, order: dict[str, Any]) -> str:
        return client.post("/invoices", json=order,
                           headers={"Idempotency-Key": call.idempotency_key})

    @flow("order_to_invoice")
    def order_to_invoice(run: FlowInput) -> str:
        return create_invoice(run.payload)

Each flow run and each step is a trace span (:mod:`accord.observability.tracing`): a flow
joins the trace of the event that started it (``FlowInput.traceparent``, stored with the
event), a step's vendor calls are its child spans and its retries span events. Spans are
exported in batches off the flow's thread.

Every step attempt writes a timeline row (system, action, outcome, attempt, latency, error).
A step that completes a business milestone declares it (``@step("erp", "post_invoice",
milestone=Milestone.INVOICE_POSTED)``); its succeeded row carries the milestone, which is
what the KPIs count, whatever the vendor or the step's name.
Retryable errors are retried inside the step (:mod:`accord.engine.retry`), each call passing
the system's cross-process gate; accord's own database going away counts as retryable. A step
that ends in error stops the flow: the flow opens an exception queue record and fails with
:class:`FlowFailed`. So does any other error escaping the flow's own code (a bug, an
unclassified error): it becomes an exception for integration engineering naming the event,
never a flow that failed with nobody told (see also :mod:`accord.engine.sweep`).

``call.idempotency_key`` depends only on the correlation id, the flow and the step's position
in it, so a step re-executed after a crash, a replay or a retry sends the same key and the
system applies the call once.
"""

from __future__ import annotations

import functools
import hashlib
import time
from collections.abc import Callable, Mapping
from contextlib import nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from dbos import DBOS, SetEnqueueOptions, SetWorkflowID, WorkflowHandle
from dbos import error as dbos_error
from pydantic import BaseModel, ConfigDict, Field, field_validator

from accord.canonical.roles import Role
from accord.engine.context import current
from accord.engine.exception_queue import (
    FORK_MARK,
    OPEN_EXCEPTION_STEP,
    Problem,
    open_exception,
    settle_retried,
    unexpected_problem,
)
from accord.engine.failures import EngineError, FlowFailed, StepFailed
from accord.engine.queues import CUSTOMER_QUEUE, FLOWS_QUEUE
from accord.engine.retry import RetryBudget, run_with_retry
from accord.engine.timeline import Milestone, StepOutcome, StepRecord, record_step
from accord.errors import AccordError, PermanentError, RateLimited, TransientError
from accord.observability import tracing
from accord.store.transient import is_disconnect

P = ParamSpec("P")
R = TypeVar("R")


_RENAMED_KEYS: dict[str, str] = {}


def rename_keys(renames: Mapping[str, str]) -> None:
    """Business keys renamed since flows were stored: old name -> new one. A flow input
    read back (a flow recovered or replayed) carries the new names."""
    _RENAMED_KEYS.update({str(old): str(new) for old, new in renames.items()})


class FlowInput(BaseModel):
    """What every flow receives. ``partition_key`` (the canonical customer id) orders the
    flow after earlier flows of the same customer."""

    model_config = ConfigDict(frozen=True)

    correlation_id: str
    keys: dict[str, str] = Field(default_factory=dict)
    payload: dict[str, Any] = Field(default_factory=dict)
    partition_key: str | None = None
    system: str | None = None
    """The system instance the event came from (it plays its role for this flow)."""
    traceparent: str | None = None
    """W3C trace context of the event's trace: the flow's spans join it (also when the flow
    is recovered, retried or replayed, which DBOS does with the same input)."""

    @field_validator("keys", mode="before")
    @classmethod
    def _current_key_names(cls, value: Any) -> Any:
        """Inputs stored before keys were named by role read with today's names."""
        if isinstance(value, dict):
            return {_RENAMED_KEYS.get(str(k), k): v for k, v in value.items()}
        return value


@dataclass(frozen=True)
class StepCall:
    """Handed to a step function on each attempt."""

    correlation_id: str
    workflow_id: str
    flow: str
    step: str
    system: str
    idempotency_key: str
    attempt: int
    keys: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Active:
    flow: str
    run: FlowInput


_active: ContextVar[_Active | None] = ContextVar("accord_flow", default=None)


def idempotency_key(correlation_id: str, flow: str, step_number: int) -> str:
    digest = hashlib.sha256(f"{correlation_id}\x1f{flow}\x1f{step_number}".encode())
    return f"accord-{digest.hexdigest()[:40]}"


def _active_flow() -> _Active:
    active = _active.get()
    if active is None:
        raise EngineError("a step was called outside a flow")
    return active


@DBOS.step(name=OPEN_EXCEPTION_STEP)
def _open_exception_step(problem: Problem) -> int:
    runtime = current()
    return open_exception(runtime.database, runtime.options.routing, problem)


@DBOS.step(name="accord.settle_retried")
def _settle_step(correlation_id: str, workflow_id: str) -> list[int]:
    return settle_retried(current().database, correlation_id, workflow_id)


_flow_names: dict[Callable[..., Any], str] = {}


def flow_name(flow_fn: Callable[..., Any]) -> str:
    """The name ``flow_fn`` was declared under (its DBOS workflow name)."""
    found = _flow_names.get(flow_fn)
    if found is None:
        raise EngineError(f"{getattr(flow_fn, '__name__', flow_fn)!r} is not a declared flow")
    return found


def name_flow(flow_fn: Callable[..., Any], name: str) -> None:
    """Remember that ``flow_fn`` is the flow named ``name`` (the declaring decorators)."""
    _flow_names[flow_fn] = name


def flow(name: str) -> Callable[[Callable[[FlowInput], R]], Callable[[FlowInput], R]]:
    """Declare a flow (a DBOS workflow named ``name``)."""

    def decorate(fn: Callable[[FlowInput], R]) -> Callable[[FlowInput], R]:
        @functools.wraps(fn)
        def body(run: FlowInput) -> R:
            token = _active.set(_Active(name, run))
            try:
                if run.keys:
                    current().timeline.add_keys(run.correlation_id, run.keys)
                try:
                    result = fn(run)
                except StepFailed as failure:
                    workflow_id = DBOS.workflow_id
                    exception_id = _open_exception_step(Problem(
                        error=failure.record, correlation_id=run.correlation_id,
                        workflow_id=workflow_id, flow=name, step=failure.step,
                        system=failure.system, entity=failure.entity,
                        record_ref=run.keys.get(failure.entity) if failure.entity else None))
                    raise FlowFailed(failure.record, failure.step, exception_id) from None
                except (FlowFailed, dbos_error.DBOSException):
                    raise
                except Exception as error:  # not from a step: still never lost silently
                    problem = unexpected_problem(error, run.correlation_id,
                                                 DBOS.workflow_id, name)
                    exception_id = _open_exception_step(problem)
                    raise FlowFailed(problem.error, problem.step, exception_id) from None
                workflow_id = DBOS.workflow_id or ""
                if FORK_MARK in workflow_id:
                    _settle_step(run.correlation_id, workflow_id)
                return result
            finally:
                _active.reset(token)

        @functools.wraps(fn)
        def traced(run: FlowInput) -> R:
            with tracing.flow_span(name, run.correlation_id, run.keys,
                                   getattr(run, "traceparent", None), DBOS.workflow_id):
                return body(run)

        declared: Callable[[FlowInput], R] = DBOS.workflow(name=name)(traced)
        name_flow(declared, name)
        return declared

    return decorate


@dataclass
class CallStats:
    """A step's attempts so far and the latency of the last one, for its timeline rows."""

    attempt: int = 0
    latency_ms: int = 0


def gated_call(system: str, stats: CallStats, call: Callable[[], R]) -> R:
    """One attempt of a step's call: inside the system's limit slot, timed (the call, not the
    wait for the gate). A refusal for the system's rate holds off every process's next call
    (:meth:`~accord.engine.limits.SystemLimiter.refused`). accord's own database going away
    (while taking the slot, or in a lookup the call makes) is a TransientError, retried
    under the step's budget; any other exception outside accord's taxonomy becomes a
    PermanentError naming its type, so the retry loop never retries what it cannot
    classify."""
    limiter = current().limiter(system)
    try:
        with limiter.slot() if limiter is not None else nullcontext():
            started = time.perf_counter()
            try:
                return call()
            except RateLimited as refusal:  # every process holds off, not only this one
                if limiter is not None:
                    limiter.refused(refusal.retry_after)
                raise
            finally:
                stats.latency_ms = int((time.perf_counter() - started) * 1000)
    except AccordError:
        raise
    except Exception as error:
        if is_disconnect(error):
            raise TransientError(
                f"accord's database was unavailable ({type(error).__name__})") from error
        raise PermanentError(f"{type(error).__name__}: {error}", system=system) from error


def step(system: str | Role, action: str, *, entity: str | None = None,
         retry: RetryBudget | None = None, name: str | None = None,
         milestone: Milestone | None = None
         ) -> Callable[[Callable[Concatenate[StepCall, P], R]], Callable[P, R]]:
    """Declare a step: one idempotent call to ``system``. ``entity`` names the business key
    (of the flow's keys) the step works on, for the exception queue's record reference;
    ``milestone`` the business milestone the flow reaches when the step succeeds (recorded
    on its succeeded timeline row).

    ``system`` may be a role (``Role.BILLING``): the step then calls whichever instance
    plays it, named by the step's first argument (``post_invoice(erp, invoice)``), and its
    limits, timeline rows and exceptions are that instance's; the step is named after the
    role (``erp.post_invoice``)."""
    step_name = name or f"{system}.{action}"

    def decorate(fn: Callable[Concatenate[StepCall, P], R]) -> Callable[P, R]:
        @functools.wraps(fn)
        def body(*args: P.args, **kwargs: P.kwargs) -> R:
            target = str(args[0]) if isinstance(system, Role) else system
            runtime = current()
            active = _active_flow()
            workflow_id = DBOS.workflow_id or ""
            key = idempotency_key(active.run.correlation_id, active.flow, DBOS.step_id or 0)
            stats = CallStats()

            def record(outcome: StepOutcome, error: AccordError | None,
                       detail: dict[str, Any] | None = None) -> None:
                entry = StepRecord(
                    correlation_id=active.run.correlation_id, workflow_id=workflow_id,
                    flow=active.flow, step=step_name, system=target, action=action,
                    outcome=outcome, attempt=stats.attempt, latency_ms=stats.latency_ms,
                    error=error, detail=detail,
                    milestone=milestone if outcome is StepOutcome.SUCCEEDED else None)
                if outcome is StepOutcome.SUCCEEDED:
                    runtime.timeline.add_step(entry)
                else:  # failures are written at once: they are what people look for
                    record_step(runtime.database, entry)

            def once() -> R:
                stats.attempt += 1
                call = StepCall(correlation_id=active.run.correlation_id,
                                workflow_id=workflow_id, flow=active.flow, step=step_name,
                                system=target, idempotency_key=key, attempt=stats.attempt,
                                keys=dict(active.run.keys))
                return gated_call(target, stats, lambda: fn(call, *args, **kwargs))

            def on_retry(number: int, error: AccordError, wait: float) -> None:
                record(StepOutcome.RETRYING, error, {"wait_seconds": round(wait, 3)})
                tracing.note_retry(span, stats.attempt, error.code, wait)

            with tracing.step_span(step_name, target, action,
                                   active.run.correlation_id) as span:
                try:
                    result = run_with_retry(once, retry or runtime.options.retry,
                                            sleep=runtime.options.sleep, rng=runtime.rng,
                                            on_retry=on_retry)
                except AccordError as error:
                    record(StepOutcome.FAILED, error)
                    tracing.mark_failed(span, error.code)
                    raise StepFailed(error.to_record(), step_name, target, entity) from None
                span.set_attribute("accord.attempts", stats.attempt)
            record(StepOutcome.SUCCEEDED, None)
            return result

        return DBOS.step(name=step_name)(body)

    return decorate


def start_flow(flow_fn: Callable[[FlowInput], R], run: FlowInput, *,
               workflow_id: str | None = None) -> WorkflowHandle[R]:
    """Enqueue a flow: on the customer queue (ordered per ``partition_key``) or the general
    one. A ``workflow_id`` already used returns the existing flow's handle (no-op)."""
    queue = current().queues[CUSTOMER_QUEUE if run.partition_key else FLOWS_QUEUE]
    with SetWorkflowID(workflow_id) if workflow_id else nullcontext():
        if run.partition_key:
            with SetEnqueueOptions(queue_partition_key=run.partition_key):
                return queue.enqueue(flow_fn, run)
        return queue.enqueue(flow_fn, run)


def run_flow(flow_fn: Callable[[FlowInput], R], run: FlowInput, *,
             workflow_id: str | None = None) -> WorkflowHandle[R]:
    """Start a flow at once in this process (no queue, no ordering)."""
    with SetWorkflowID(workflow_id) if workflow_id else nullcontext():
        return DBOS.start_workflow(flow_fn, run)


__all__ = [
    "CallStats",
    "FlowInput",
    "StepCall",
    "flow",
    "flow_name",
    "gated_call",
    "idempotency_key",
    "name_flow",
    "run_flow",
    "start_flow",
    "step",
]
