"""The exception queue: problems a person must look at, one record per problem.

A problem's *fingerprint* is (error kind, system, entity, record, field, step), without the
flow: the same problem hit again (by a retry or by another flow) adds an occurrence to the
open record instead of a new one. The owner team comes from :mod:`accord.engine.owners`.

Actions: :func:`retry_exception` re-runs the flow from the failed step (a DBOS fork, so the
steps before it are not executed again) once the data is fixed; :func:`resolve_exception` and
:func:`ignore_exception` close it with a note. Every action writes an audit row in the same
transaction as the change.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dbos import DBOS, SetWorkflowID
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from accord.engine.audit import audit
from accord.engine.failures import AlreadyClosed, UnknownTarget
from accord.engine.owners import OwnerRules
from accord.engine.queues import FLOWS_QUEUE
from accord.errors import AccordError, PermanentError, Team
from accord.store import Database
from accord.store.models import ExceptionRecord, utcnow
from accord.store.transient import retry_on_disconnect

FORK_MARK = "~"
RETRY_MARK = f"{FORK_MARK}retry-"


class ExceptionStatus(StrEnum):
    OPEN = "open"
    RETRYING = "retrying"
    RESOLVED = "resolved"
    IGNORED = "ignored"


class ExceptionView(BaseModel):
    model_config = ConfigDict(frozen=True, from_attributes=True)

    id: int
    fingerprint: str
    kind: str
    owner: Team
    status: ExceptionStatus
    system: str | None
    entity_type: str | None
    record_ref: str | None
    field: str | None
    reason: str
    system_said: str | None
    error: dict[str, Any] | None
    correlation_id: str | None
    workflow_id: str | None
    step: str | None
    occurrences: int
    created_at: datetime
    updated_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    note: str | None


CLOSED_STATUSES = (ExceptionStatus.RESOLVED.value, ExceptionStatus.IGNORED.value)


@dataclass(frozen=True)
class Problem:
    """What went wrong, where: built by a flow from its failed step."""

    error: dict[str, Any]
    correlation_id: str
    workflow_id: str | None
    flow: str
    step: str
    system: str | None
    entity: str | None
    record_ref: str | None

    @property
    def kind(self) -> str:
        return str(self.error.get("code", "permanent"))

    @property
    def field(self) -> str | None:
        value = self.error.get("field")
        return str(value) if value is not None else None

    @property
    def reason(self) -> str:
        return str(self.error.get("reason") or self.error.get("message") or self.kind)

    def fingerprint(self) -> str:
        """The problem, not who hit it: the flow is left out, so two flows that fail on the
        same record at the same step (an invoice posted by its own flow and by the flow of
        its payment, whose event came first) share one record."""
        parts = [self.kind, self.system or "", self.entity or "", self.record_ref or "",
                 self.field or "", self.step]
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:40]


UNEXPECTED_ENTITY = "event"
"""The entity of a problem that no step classified: the inbound event itself."""


def unexpected_problem(error: BaseException, correlation_id: str, workflow_id: str | None,
                       flow: str) -> Problem:
    """The problem of a flow that stopped outside any step (its own code raised, or the
    engine could not record the step's failure): about the event, for integration
    engineering unless the error is a classified one naming its owner."""
    if isinstance(error, AccordError):
        record = error.to_record()
    else:
        record = PermanentError(f"flow {flow} stopped on an unexpected "
                                f"{type(error).__name__}: {error}").to_record()
    return Problem(error=record, correlation_id=correlation_id, workflow_id=workflow_id,
                   flow=flow, step=flow, system=record.get("system"),
                   entity=UNEXPECTED_ENTITY, record_ref=correlation_id)


@retry_on_disconnect
def open_exception(database: Database, routing: OwnerRules, problem: Problem, *,
                   recur: bool = True) -> int:
    """Create the record for ``problem`` or add an occurrence to it; returns its id. An
    ignored problem stays ignored; a resolved one is reopened. With ``recur=False`` a record
    already naming this problem's workflow is left as it is (a sweep that sees the same
    failed flow again adds nothing)."""
    for _ in range(2):
        try:
            return _open_exception(database, routing, problem, recur)
        except IntegrityError:
            continue  # another flow created the same problem's record just now: update it
    return _open_exception(database, routing, problem, recur)


def _open_exception(database: Database, routing: OwnerRules, problem: Problem,
                    recur: bool) -> int:
    error_owner = problem.error.get("owner")
    owner = routing.owner_for(problem.kind, problem.system, problem.entity,
                              Team(error_owner) if error_owner else None)
    fingerprint = problem.fingerprint()
    with database.session() as session:
        record = session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.fingerprint == fingerprint).with_for_update()).first()
        if record is None:
            record = ExceptionRecord(
                fingerprint=fingerprint, kind=problem.kind, owner=owner.value,
                status=ExceptionStatus.OPEN.value, system=problem.system,
                entity_type=problem.entity, record_ref=problem.record_ref,
                field=problem.field, reason=problem.reason,
                system_said=problem.error.get("detail"), error=problem.error,
                correlation_id=problem.correlation_id, workflow_id=problem.workflow_id,
                step=problem.step, occurrences=1)
            session.add(record)
            session.flush()
            audit(session, actor="engine", action="exception.open", target_type="exception",
                  target_id=str(record.id), detail={"owner": owner.value,
                                                   "correlation_id": problem.correlation_id})
            return int(record.id)
        if not recur and record.workflow_id == problem.workflow_id:
            return int(record.id)
        # counted in SQL (occurrences = occurrences + 1): concurrent flows meeting the same
        # problem each add theirs, also where the row lock is not available (SQLite)
        record.occurrences = ExceptionRecord.occurrences + 1
        record.error = problem.error
        record.system_said = problem.error.get("detail")
        record.correlation_id = problem.correlation_id
        record.workflow_id = problem.workflow_id
        record.updated_at = utcnow()
        if record.status != ExceptionStatus.IGNORED.value:
            record.status = ExceptionStatus.OPEN.value
        session.flush()
        audit(session, actor="engine", action="exception.recur", target_type="exception",
              target_id=str(record.id), detail={"occurrences": record.occurrences,
                                               "correlation_id": problem.correlation_id})
        return int(record.id)


def list_exceptions(database: Database, *, status: ExceptionStatus | None = None,
                    owner: Team | None = None) -> list[ExceptionView]:
    query = select(ExceptionRecord).order_by(ExceptionRecord.id)
    if status is not None:
        query = query.where(ExceptionRecord.status == status.value)
    if owner is not None:
        query = query.where(ExceptionRecord.owner == owner.value)
    with database.session() as session:
        return [ExceptionView.model_validate(row) for row in session.scalars(query)]


def get_exception(database: Database, exception_id: int) -> ExceptionView:
    with database.session() as session:
        record = session.get(ExceptionRecord, exception_id)
        if record is None:
            raise UnknownTarget(f"exception {exception_id}: no such record")
        return ExceptionView.model_validate(record)


def _close(database: Database, exception_id: int, status: ExceptionStatus, actor: str,
           note: str, token_id: int | None = None) -> ExceptionView:
    if not note.strip():
        raise ValueError("note: a note is required")
    with database.session() as session:
        record = session.get(ExceptionRecord, exception_id)
        if record is None:
            raise UnknownTarget(f"exception {exception_id}: no such record")
        before = record.status
        if before in CLOSED_STATUSES:
            raise AlreadyClosed(f"exception {exception_id}: already {before} by "
                                f"{record.resolved_by}; it stays as it was closed")
        record.status = status.value
        record.note = note
        record.resolved_by = actor
        record.resolved_at = utcnow()
        record.updated_at = utcnow()
        audit(session, actor=actor, action=f"exception.{status.value}",
              target_type="exception", target_id=str(exception_id),
              detail={"note": note, "from": before}, token_id=token_id)
        session.flush()
        return ExceptionView.model_validate(record)


def resolve_exception(database: Database, exception_id: int, *, actor: str,
                      note: str, token_id: int | None = None) -> ExceptionView:
    return _close(database, exception_id, ExceptionStatus.RESOLVED, actor, note, token_id)


def ignore_exception(database: Database, exception_id: int, *, actor: str,
                     note: str, token_id: int | None = None) -> ExceptionView:
    return _close(database, exception_id, ExceptionStatus.IGNORED, actor, note, token_id)


OPEN_EXCEPTION_STEP = "accord.open_exception"


def failed_step_id(workflow_id: str, step: str | None = None) -> int:
    """The DBOS step number from which to re-run ``workflow_id``: the last failed step named
    ``step`` (flow code may have handled earlier failures), else the first failed step.
    A flow that stopped outside any step re-runs from where it stopped: the step that opened
    its exception, or the step after its last checkpoint (all earlier steps are kept)."""
    steps = DBOS.list_workflow_steps(workflow_id)
    failed = [info for info in steps if info["error"] is not None]
    named = [info for info in failed if step is not None and info["function_name"] == step]
    if named:
        return int(named[-1]["function_id"])
    if failed:
        return int(failed[0]["function_id"])
    opened = [info for info in steps if info["function_name"] == OPEN_EXCEPTION_STEP]
    if opened:
        return int(opened[0]["function_id"])
    if DBOS.get_workflow_status(workflow_id) is None:
        raise UnknownTarget(f"workflow {workflow_id}: no such workflow to retry")
    return max((int(info["function_id"]) for info in steps), default=0) + 1


def root_workflow_id(workflow_id: str) -> str:
    return workflow_id.split(RETRY_MARK, maxsplit=1)[0]


def retry_exception(database: Database, exception_id: int, *, actor: str,
                    note: str | None = None, token_id: int | None = None) -> str:
    """Re-run the failed flow from its failed step (DBOS fork); returns the new workflow id.
    The exception of one event of a batch flow re-runs that event alone, through the batch
    flow's single-event flow (:func:`accord.engine.batch.batch_item`), never the batch.
    Needs the engine running (the new run is enqueued for the workers)."""
    # the batch layer sits above this module (it opens exceptions): imported on use
    from accord.engine.batch import batch_item

    view = get_exception(database, exception_id)
    if view.workflow_id is None:
        raise UnknownTarget(f"exception {exception_id}: no workflow to retry")
    mark = f"{RETRY_MARK}{exception_id}-{int(utcnow().timestamp() * 1000)}"
    alone = (batch_item(view.workflow_id, view.correlation_id)
             if view.correlation_id is not None else None)
    start = None if alone is not None else failed_step_id(view.workflow_id, view.step)
    new_id = (alone.workflow_id(mark) if alone is not None
              else f"{root_workflow_id(view.workflow_id)}{mark}")
    with database.session() as session:
        record = session.get(ExceptionRecord, exception_id)
        assert record is not None
        record.status = ExceptionStatus.RETRYING.value
        record.updated_at = utcnow()
        if note:
            record.note = note
        audit(session, actor=actor, action="exception.retry", target_type="exception",
              target_id=str(exception_id),
              detail={"from_workflow": view.workflow_id, "from_step": start,
                      "new_workflow": new_id, "note": note,
                      **({"alone": view.correlation_id} if alone is not None else {})},
              token_id=token_id)
    if alone is not None:  # after the commit: the run settles the record when it succeeds
        alone.start(mark)
    elif start is not None:
        with SetWorkflowID(new_id):
            DBOS.fork_workflow(view.workflow_id, start, queue_name=FLOWS_QUEUE)
    return new_id


@retry_on_disconnect
def settle_retried(database: Database, correlation_id: str, workflow_id: str) -> list[int]:
    """A retried or replayed flow finished: resolve the exceptions it had raised."""
    with database.session() as session:
        records = list(session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.correlation_id == correlation_id,
            ExceptionRecord.status.in_([ExceptionStatus.RETRYING.value,
                                        ExceptionStatus.OPEN.value]))))
        for record in records:
            record.status = ExceptionStatus.RESOLVED.value
            record.resolved_by = "engine"
            record.resolved_at = utcnow()
            record.updated_at = utcnow()
            audit(session, actor="engine", action="exception.resolved_by_retry",
                  target_type="exception", target_id=str(record.id),
                  detail={"workflow_id": workflow_id})
        return [int(record.id) for record in records]


@retry_on_disconnect
def resolve_recovered(database: Database, correlation_id: str, note: str) -> list[int]:
    """What failed under ``correlation_id`` works again (a schedule whose runs failed in a
    row has run to its end): its open exceptions are resolved by the engine, with ``note``."""
    with database.session() as session:
        records = list(session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.correlation_id == correlation_id,
            ExceptionRecord.status == ExceptionStatus.OPEN.value)))
        for record in records:
            record.status = ExceptionStatus.RESOLVED.value
            record.note = note
            record.resolved_by = "engine"
            record.resolved_at = utcnow()
            record.updated_at = utcnow()
            audit(session, actor="engine", action="exception.resolved_by_recovery",
                  target_type="exception", target_id=str(record.id), detail={"note": note})
        return [int(record.id) for record in records]


__all__ = [
    "CLOSED_STATUSES",
    "FORK_MARK",
    "OPEN_EXCEPTION_STEP",
    "RETRY_MARK",
    "UNEXPECTED_ENTITY",
    "ExceptionStatus",
    "ExceptionView",
    "Problem",
    "failed_step_id",
    "get_exception",
    "ignore_exception",
    "list_exceptions",
    "open_exception",
    "resolve_exception",
    "resolve_recovered",
    "retry_exception",
    "root_workflow_id",
    "settle_retried",
    "unexpected_problem",
]
