"""Business and technical KPIs (see docs/operations.md for how each is computed)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from accord.api.deps import SessionDep, Viewer
from accord.api.kpis import KpiReport, report
from accord.store import Database

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


@router.get("")
def get_kpis(request: Request, session: SessionDep, _who: Viewer,
             window_days: int = Query(default=30, ge=1, le=366,
                                      description="window for latency percentiles")
             ) -> KpiReport:
    database: Database = request.app.state.database
    return report(session, database.engine, window_days=window_days)
