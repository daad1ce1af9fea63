"""The recurring jobs: when each ran, how it went, when it runs next; run one now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from accord.api.deps import Replayer, SessionDep, Viewer
from accord.api.readiness import ScheduleReadiness, schedule_readiness
from accord.api.responses import documented
from accord.engine.audit import audit
from accord.engine.control import EngineClient
from accord.engine.schedules import Schedule

router = APIRouter(prefix="/v1/schedules", tags=["schedules"])
ScheduleName = Annotated[str, Path(min_length=1, max_length=120, pattern=r"^[a-z0-9._-]+$")]


class ScheduleRun(BaseModel):
    schedule: str
    workflow_id: str


def _schedules(request: Request) -> tuple[Schedule, ...]:
    deployment = request.app.state.deployment
    return deployment.schedules if deployment is not None else ()


@router.get("")
def list_(request: Request, _who: Viewer) -> dict[str, ScheduleReadiness]:
    """Each schedule of this deployment with its last run and its next one."""
    return schedule_readiness(request.app.state.database, _schedules(request))


@router.post("/{name}/run", status_code=status.HTTP_202_ACCEPTED,
             responses=documented(404, 503))
async def run_now(name: ScheduleName, request: Request, session: SessionDep,
                  who: Replayer) -> ScheduleRun:
    """Fire schedule ``name`` now (a poll, the reconciliation, ...); a worker runs it and
    ``GET /v1/schedules`` shows the outcome. Audited."""
    if name not in {schedule.name for schedule in _schedules(request)}:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"name: no schedule {name!r}")
    client: EngineClient = request.app.state.engine_client
    workflow_id = await run_in_threadpool(client.run_schedule, name)
    if workflow_id is None:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "no worker has started on this database yet: start `accord worker` "
                            "or `accord serve`")
    audit(session, actor=who.name, action="schedule.run", target_type="schedule",
          target_id=name, detail={"workflow_id": workflow_id}, token_id=who.token_id)
    return ScheduleRun(schedule=name, workflow_id=workflow_id)
