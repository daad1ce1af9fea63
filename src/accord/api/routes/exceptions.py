"""The exception queue: list and filter."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Query

from accord.api.deps import SessionDep, Viewer
from accord.api.queries import ExceptionFilter, list_exceptions
from accord.api.schemas import ExceptionSummary

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])


@router.get("")
def list_(session: SessionDep, _who: Viewer,
          status: str | None = Query(default="open", pattern="^(open|retrying|resolved|ignored)$"),
          owner: str | None = None, system: str | None = None, kind: str | None = None,
          min_age_hours: float | None = Query(default=None, ge=0),
          limit: int = Query(default=200, ge=1, le=1000)) -> list[ExceptionSummary]:
    age = timedelta(hours=min_age_hours) if min_age_hours is not None else None
    return list_exceptions(session, ExceptionFilter(status=status, owner=owner, system=system,
                                                    kind=kind, older_than=age, limit=limit))
