"""Reconciliation runs and their differences (read-only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from accord.api.deps import MAX_ID, SessionDep, Viewer
from accord.api.inputs import NO_NUL
from accord.api.reconciliation import (
    DifferenceFilter,
    ReconRunDetail,
    ReconRunSummary,
    list_runs,
    run_detail,
)
from accord.api.responses import documented

router = APIRouter(prefix="/v1/reconciliation", tags=["reconciliation"])


@router.get("/runs")
def runs(session: SessionDep, _who: Viewer,
         period: Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$",
                                             description="YYYY-MM")] = None,
         status_: Annotated[str | None, Query(alias="status", max_length=20,
                                              pattern=NO_NUL)] = None,
         limit: Annotated[int, Query(ge=1, le=500)] = 50,
         offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> list[ReconRunSummary]:
    """Runs, newest first."""
    return list_runs(session, period=period, status=status_, limit=limit, offset=offset)


@router.get("/runs/{run_id}", responses=documented(404))
def run(run_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep, _who: Viewer,
        kind: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
        entity: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
        owner: Annotated[str | None, Query(max_length=40, pattern=NO_NUL)] = None,
        limit: Annotated[int, Query(ge=1, le=2000)] = 500,
        offset: Annotated[int, Query(ge=0, le=MAX_ID)] = 0) -> ReconRunDetail:
    """One run with its control totals and its differences (filtered, paginated), each
    with the status of the exception it opened."""
    found = run_detail(session, run_id, DifferenceFilter(kind=kind, entity=entity,
                                                         owner=owner, limit=limit,
                                                         offset=offset))
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"run_id: no reconciliation run "
                            f"{run_id}")
    return found
