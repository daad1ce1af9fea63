"""The sweep: no flow fails with nobody told.

A flow that stops on an error opens its exception record itself (:mod:`accord.engine.flow`)
and ends with :class:`~accord.engine.failures.FlowFailed`. Two ways remain for a flow to end
failed *without* one, and the sweep closes both:

* the flow could not open its record - the database stayed away for longer than its writes
  wait (:data:`~accord.store.transient.DISCONNECT_PATIENCE`), or the process died in between;
* DBOS gave the flow up (``MAX_RECOVERY_ATTEMPTS_EXCEEDED``): it crashed its worker on every
  recovery.

Every worker's inbox pump runs :meth:`Sweeper.run` every ``sweep_interval`` seconds. It lists
the flows DBOS finished in ``ERROR`` or ``MAX_RECOVERY_ATTEMPTS_EXCEEDED`` since its last look
(a week back on its first), skips those that ended in ``FlowFailed`` (their record exists) and
opens one exception per event of each other flow - about the event, for integration
engineering, saying how the flow ended. The exception's Retry re-runs the flow from where it
stopped (:func:`~accord.engine.exception_queue.failed_step_id`). A record that already names the
flow is left alone, so several workers sweeping the same flow open it once.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from dbos import DBOS

from accord.engine.batch import items_of
from accord.engine.exception_queue import Problem, open_exception, unexpected_problem
from accord.engine.failures import FlowFailed
from accord.engine.flow import FlowInput
from accord.engine.owners import OwnerRules
from accord.errors import PermanentError
from accord.store import Database

FAILED_STATUSES = ("ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")
LOOKBACK = timedelta(days=7)
"""How far back the first sweep of a process looks."""
OVERLAP = timedelta(minutes=5)
"""Each later sweep looks this far before the previous one began (nothing falls between)."""

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unrecorded:
    """A failed flow without an exception record."""

    workflow_id: str
    flow: str
    status: str
    error: str
    correlation_ids: tuple[str, ...]


def _correlation_ids(workflow_id: str, inputs: Any) -> tuple[str, ...]:
    """The events a flow was about: its input's correlation id, or each batch item's."""
    args = inputs.get("args") if isinstance(inputs, dict) else None
    run = args[0] if args else None
    if not isinstance(run, FlowInput):
        return (workflow_id,)
    items = items_of(run)
    return tuple(item.correlation_id for item in items) or (run.correlation_id,)


def _describe(status: str, error: Any) -> str:
    if status == "MAX_RECOVERY_ATTEMPTS_EXCEEDED":
        return "was given up by the engine after crashing its worker on every recovery"
    if error is None:
        return "failed with no error recorded"
    return f"failed on {type(error).__name__}: {error}"


def find_unrecorded(since: datetime, page: int = 500) -> list[Unrecorded]:
    """Flows finished in a failed status since ``since`` that did not open their record."""
    found = []
    offset = 0
    while True:
        listed = DBOS.list_workflows(status=list(FAILED_STATUSES),
                                     completed_after=since.isoformat(), limit=page,
                                     offset=offset, load_input=True, load_output=True)
        for wf in listed:
            if isinstance(wf.error, FlowFailed) and wf.error.exception_id is not None:
                continue
            found.append(Unrecorded(
                workflow_id=wf.workflow_id, flow=str(wf.name), status=str(wf.status),
                error=_describe(str(wf.status), wf.error),
                correlation_ids=_correlation_ids(wf.workflow_id, wf.input)))
        if len(listed) < page:
            return found
        offset += page


def open_unrecorded(database: Database, routing: OwnerRules,
                    flows: list[Unrecorded]) -> list[int]:
    """One exception per event of each flow (left alone where one names the flow already)."""
    opened = []
    for failed in flows:
        error = PermanentError(f"flow {failed.flow} {failed.error}; it opened no exception")
        for correlation_id in failed.correlation_ids:
            problem: Problem = unexpected_problem(error, correlation_id, failed.workflow_id,
                                                  failed.flow)
            opened.append(open_exception(database, routing, problem, recur=False))
    return opened


class Sweeper:
    """Remembers how far this process has swept."""

    def __init__(self, database: Database, routing: OwnerRules) -> None:
        self.database = database
        self.routing = routing
        self._since: datetime | None = None

    def run(self, now: datetime | None = None) -> list[int]:
        """Sweep once; returns the ids of the exception records opened or already there."""
        began = now or datetime.now(UTC)
        since = self._since or began - LOOKBACK
        flows = find_unrecorded(since)
        opened = open_unrecorded(self.database, self.routing, flows)
        if flows:
            log.warning("sweep: %d failed flows had no exception record: %s", len(flows),
                        ", ".join(failed.workflow_id for failed in flows[:10]))
        self._since = began - OVERLAP
        return opened


__all__ = ["FAILED_STATUSES", "Sweeper", "Unrecorded", "find_unrecorded", "open_unrecorded"]
