"""The workers sharing the database: their leases, what each runs, what each took over."""

from __future__ import annotations

import time

from fastapi import APIRouter, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from accord.api.deps import Viewer
from accord.engine.leases import WorkerView, list_workers

router = APIRouter(prefix="/v1/workers", tags=["workers"])


class TakeoverRead(BaseModel):
    dead_executor: str
    taken_at: float
    flows: int
    workflow_ids: list[str]


class WorkerRead(BaseModel):
    """One worker; times are Unix epoch seconds."""

    executor_id: str
    host: str
    pid: int
    state: str
    started_at: float
    heartbeat_at: float
    expires_at: float
    adopted_by: str | None
    adopted_at: float | None
    running: int
    took_over: list[TakeoverRead]

    @classmethod
    def of(cls, worker: WorkerView, now: float) -> WorkerRead:
        return cls(executor_id=worker.executor_id, host=worker.host, pid=worker.pid,
                   state=worker.state(now), started_at=worker.started_at,
                   heartbeat_at=worker.heartbeat_at, expires_at=worker.expires_at,
                   adopted_by=worker.adopted_by, adopted_at=worker.adopted_at,
                   running=worker.running,
                   took_over=[TakeoverRead(dead_executor=t.dead_executor, taken_at=t.taken_at,
                                           flows=len(t.workflow_ids),
                                           workflow_ids=list(t.workflow_ids))
                              for t in worker.took_over])


@router.get("")
async def list_(request: Request, _who: Viewer) -> list[WorkerRead]:
    """Every worker with a lease (``live``, ``expired`` or ``taken over``), the flows it
    runs now, who took it over, and what it took over from whom."""
    found = await run_in_threadpool(list_workers, request.app.state.database)
    now = time.time()
    return [WorkerRead.of(worker, now) for worker in found]
