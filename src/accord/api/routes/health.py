"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from accord.api.deps import database
from accord.api.metrics import DatabaseCollector
from accord.api.readiness import (
    EngineReadiness,
    ScheduleReadiness,
    SystemReadiness,
    schedule_readiness,
    system_readiness,
)
from accord.engine import context
from accord.store import Database, current_revision, head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


class Readiness(BaseModel):
    status: str
    """``ready`` or ``unavailable``."""
    reason: str | None = None
    schema_revision: str | None = None
    engine: EngineReadiness
    systems: dict[str, SystemReadiness] = {}
    schedules: dict[str, ScheduleReadiness] = {}


def _engine(request: Request) -> EngineReadiness:
    deployment = request.app.state.deployment
    if request.app.state.service is not None and context.is_running():
        return EngineReadiness(status="running",
                               executor=context.current().options.executor_id)
    if getattr(request.app.state, "runs_engine", False):
        return EngineReadiness(status="stopped")
    return EngineReadiness(status="elsewhere" if deployment is not None else "none")


@router.get("/readyz", responses={503: {"description": "not ready: the reason says why"}})
def readyz(request: Request, response: Response,
           db: Annotated[Database, Depends(database)]) -> Readiness:
    """Ready to take work: the database answers at the newest schema and the engine runs
    where it should. Also reports each system (probed at most once a minute; a system
    away does not make accord unready - webhooks wait in the inbox) and each schedule's
    last and next run."""
    engine = _engine(request)
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(db.engine)
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return Readiness(status="unavailable", reason="database unreachable", engine=engine)
    systems = system_readiness(request.app.state.system_settings, request.app.state.probes)
    deployment = request.app.state.deployment
    schedules = schedule_readiness(db, deployment.schedules) if deployment else {}
    reason = None
    if revision != head_revision():
        reason = f"schema at {revision}, run `accord db upgrade`"
    elif engine.status == "stopped":
        reason = "the engine is not running in this process"
    if reason is not None:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Readiness(status="unavailable" if reason else "ready", reason=reason,
                     schema_revision=revision, engine=engine, systems=systems,
                     schedules=schedules)


def _database_metrics(request: Request) -> CollectorRegistry:
    """This app's registry of database-backed figures (made on the first scrape)."""
    registry: CollectorRegistry | None = getattr(request.app.state, "metrics_registry", None)
    if registry is None:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(DatabaseCollector(request.app.state.database))
        request.app.state.metrics_registry = registry
    return registry


@router.get("/metrics", response_class=Response)
def metrics(request: Request) -> Response:
    """Prometheus text format: this process's webhook counters, then the figures computed
    from the database (the same from every process; ``docs/operations.md``, "Metrics")."""
    return Response(generate_latest() + generate_latest(_database_metrics(request)),
                    media_type=CONTENT_TYPE_LATEST)
