"""Business and technical KPIs."""

from __future__ import annotations

from fastapi import APIRouter

from accord.api.deps import SessionDep, Viewer
from accord.api.queries import kpis
from accord.api.schemas import Kpis

router = APIRouter(prefix="/v1/kpis", tags=["kpis"])


@router.get("")
def get_kpis(session: SessionDep, _who: Viewer) -> Kpis:
    return kpis(session)
