"""The engine seen from outside a worker: flows by name and outcome, and running a schedule
now. The API uses it whether or not the engine runs in its own process (``accord serve
--no-workers``), through DBOS's client, which reads and enqueues on the shared database.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from dbos import DBOSClient, EnqueueOptions
from pydantic import BaseModel
from sqlalchemy import func, inspect, select

from accord.engine.inbox import PENDING_STATUSES
from accord.engine.queues import SCHEDULES_QUEUE
from accord.engine.schedules import WORKFLOW as SCHEDULE_WORKFLOW
from accord.engine.sealing import SealedSerializer
from accord.store import Database
from accord.store.models import InboxEntry
from accord.store.sealing import key_file_for

APP_NAME = "accord"
RUNNING = ("PENDING", "ENQUEUED")
ERROR = "ERROR"
EXCEPTION = "exception"


class FlowSummary(BaseModel):
    """Finished flows by name and outcome, and what is still under way."""

    flows: dict[str, dict[str, int]]
    """flow name -> outcome (what the flow reported: ``created``, ``posted``, ...;
    ``exception`` when it stopped on one) -> count. The events of a batch flow count one
    each, under the flow that does their work one at a time (``invoice_posting``)."""
    running: int
    """Flows enqueued or running now (schedule firings included)."""
    inbox_backlog: int
    """Stored events whose flow has not started yet."""


def outcome_of(status: str, output: Any) -> str:
    """A flow's outcome: what it reported, ``exception`` when it stopped on one, else its
    DBOS status in lower case."""
    if status == ERROR:
        return EXCEPTION
    if status == "SUCCESS":
        if isinstance(output, dict) and output.get("outcome"):
            return str(output["outcome"])
        return "done"
    return status.lower()


def summarise(rows: Iterable[tuple[str, str, Any]], backlog: int) -> FlowSummary:
    """``rows``: (workflow name, DBOS status, output)."""
    flows: dict[str, Counter[str]] = {}
    running = 0
    for name, status, output in rows:
        if status in RUNNING:
            running += 1
            continue
        if name == SCHEDULE_WORKFLOW:
            continue  # the schedules' own firings: reported by /v1/schedules
        if status == "SUCCESS" and isinstance(output, dict) \
                and isinstance(output.get("outcomes"), dict) and output.get("flow"):
            # a batch flow run: its events, as the flow that does their work one at a time
            # (an event it handed to that flow is counted by the run it started)
            counts = flows.setdefault(str(output["flow"]), Counter())
            for outcome, count in output["outcomes"].items():
                counts[str(outcome)] += int(count)
            continue
        flows.setdefault(name.rsplit(".", 1)[-1], Counter())[outcome_of(status, output)] += 1
    return FlowSummary(flows={name: dict(sorted(counts.items()))
                              for name, counts in sorted(flows.items())},
                       running=running, inbox_backlog=backlog)


class EngineClient:
    """One DBOS client per process, made on first use (the engine may start later)."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._client: DBOSClient | None = None
        self._lock = threading.Lock()

    def _dbos(self) -> DBOSClient | None:
        """None while no engine has ever run on this database (no DBOS tables yet)."""
        with self._lock:
            if self._client is None:
                engine = self.database.engine
                schema = "dbos" if engine.dialect.name == "postgresql" else None
                if not inspect(engine).has_table("workflow_status", schema=schema):
                    return None
                self._client = DBOSClient(system_database_engine=engine,
                                          application_name=APP_NAME,
                                          serializer=SealedSerializer(
                                              key_file_for(engine.url)))
            return self._client

    def backlog(self) -> int:
        with self.database.session() as session:
            return int(session.scalar(select(func.count()).select_from(InboxEntry).where(
                InboxEntry.status.in_(PENDING_STATUSES))) or 0)

    def flow_summary(self) -> FlowSummary:
        client = self._dbos()
        rows = [] if client is None else [
            (str(status.name), str(status.status), status.output)
            for status in client.list_workflows(load_input=False, load_output=True)]
        return summarise(rows, self.backlog())

    def run_schedule(self, name: str, now: datetime | None = None) -> str | None:
        """Fire schedule ``name`` now (a worker runs it); the firing's workflow id, or None
        while no engine has ever run on this database."""
        client = self._dbos()
        if client is None:
            return None
        at = now or datetime.now(UTC)
        options: EnqueueOptions = {
            "workflow_name": SCHEDULE_WORKFLOW, "queue_name": SCHEDULES_QUEUE,
            "workflow_id": f"sched-run-{name}-{at.isoformat()}"}
        return client.enqueue(options, at, name).get_workflow_id()

    def close(self) -> None:
        with self._lock:
            if self._client is not None:
                self._client.destroy()
                self._client = None


__all__ = ["EXCEPTION", "EngineClient", "FlowSummary", "outcome_of", "summarise"]
