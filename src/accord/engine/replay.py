"""Replay: run a finished or failed flow again without doubling its side effects.

A finished or failed flow is *forked* (DBOS ``fork_workflow``): a new workflow with the same
input re-runs the steps from ``from_step`` (1 = all of them). Its steps send the same
idempotency keys as the original (they depend on the correlation id and the step's position
only), so calls the systems already applied are answered from their idempotency records, and
calls that never went through are made now. A cancelled flow is *resumed* instead. A flow
that is still queued or running is left alone.

The target may be a workflow id, a correlation id or any business key; for the last two the
most recent flow is replayed. When that flow is a batch flow (many events in one run), the
target's event is replayed alone through the batch flow's single-event flow
(:func:`accord.engine.batch.batch_item`), never the whole batch; a batch's own workflow id
forks the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from dbos import DBOS, SetWorkflowID
from sqlalchemy import select

from accord.engine.audit import audit
from accord.engine.batch import batch_item
from accord.engine.exception_queue import FORK_MARK, root_workflow_id
from accord.engine.failures import EngineError, UnknownTarget
from accord.engine.queues import FLOWS_QUEUE
from accord.engine.timeline import correlations_for_key
from accord.store import Database
from accord.store.models import TimelineEntry, utcnow


class ReplayMode(StrEnum):
    FORKED = "forked"
    RESUMED = "resumed"
    ALONE = "alone"
    """One event of a batch flow, run alone through the batch flow's single-event flow."""


class FlowStillRunning(EngineError):
    """The flow is queued or running; there is nothing to replay yet."""


@dataclass(frozen=True)
class ReplayResult:
    source_workflow_id: str
    workflow_id: str
    mode: ReplayMode
    from_step: int | None


def resolve_workflow(database: Database, target: str) -> str:
    """The workflow id meant by ``target``: itself, or the latest flow of a correlation id
    or business key."""
    return _resolve(database, target)[0]


def _resolve(database: Database, target: str) -> tuple[str, str | None]:
    """The workflow id meant by ``target`` and, unless ``target`` is a workflow id, the
    correlation id (the event) whose flow that is."""
    if DBOS.get_workflow_status(target) is not None:
        return target, None
    correlations = {target, *correlations_for_key(database, target)}
    with database.session() as session:
        latest = session.execute(
            select(TimelineEntry.workflow_id, TimelineEntry.correlation_id)
            .where(TimelineEntry.correlation_id.in_(correlations),
                   TimelineEntry.workflow_id.is_not(None))
            .order_by(TimelineEntry.occurred_at.desc(), TimelineEntry.id.desc())
            .limit(1)).first()
    if latest is None:
        raise UnknownTarget(f"{target}: no workflow, correlation id or business key matches")
    return str(latest.workflow_id), str(latest.correlation_id)


def replay(database: Database, target: str, *, actor: str, from_step: int = 1,
           event: str | None = None) -> ReplayResult:
    """Replay the flow ``target`` names. ``event`` (a correlation id) picks one event of a
    batch flow named by its workflow id, to replay alone."""
    workflow_id, found_event = _resolve(database, target)
    event = event or found_event
    status = DBOS.get_workflow_status(workflow_id)
    if status is None:  # pragma: no cover - resolve_workflow found it
        raise UnknownTarget(f"{workflow_id}: no such workflow")
    if status.status in {"PENDING", "ENQUEUED", "DELAYED"}:
        raise FlowStillRunning(f"{workflow_id} is {status.status.lower()}; nothing to replay")
    alone = batch_item(workflow_id, event) if event is not None else None
    if alone is not None:
        stamp = int(utcnow().timestamp() * 1000)
        new_id = alone.start(f"{FORK_MARK}replay-{stamp}")
        result = ReplayResult(workflow_id, new_id, ReplayMode.ALONE, None)
    elif status.status == "CANCELLED":
        DBOS.resume_workflow(workflow_id)
        result = ReplayResult(workflow_id, workflow_id, ReplayMode.RESUMED, None)
    else:
        stamp = int(utcnow().timestamp() * 1000)
        new_id = f"{root_workflow_id(workflow_id)}{FORK_MARK}replay-{stamp}"
        with SetWorkflowID(new_id):
            DBOS.fork_workflow(workflow_id, from_step, queue_name=FLOWS_QUEUE)
        result = ReplayResult(workflow_id, new_id, ReplayMode.FORKED, from_step)
    with database.session() as session:
        audit(session, actor=actor, action=f"workflow.replay.{result.mode.value}",
              target_type="workflow", target_id=workflow_id,
              detail={"workflow_id": result.workflow_id, "from_step": result.from_step,
                      "status_before": status.status, "target": target})
    return result


__all__ = ["FlowStillRunning", "ReplayMode", "ReplayResult", "replay", "resolve_workflow"]
