"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response, status
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from accord.api.deps import database
from accord.store import Database, current_revision, head_revision

router = APIRouter(tags=["operations"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready: the reason says why"}})
def readyz(response: Response, db: Annotated[Database, Depends(database)]) -> dict[str, str]:
    """The database answers and its schema is current."""
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(db.engine)
    except SQLAlchemyError:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable", "reason": "database unreachable"}
    if revision != head_revision():
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
        return {"status": "unavailable",
                "reason": f"schema at {revision}, run `accord db upgrade`"}
    return {"status": "ready", "schema": revision or ""}


@router.get("/metrics", response_class=Response)
def metrics() -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
