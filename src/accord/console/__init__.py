"""The web console: server-rendered pages over the same read models as the API."""

from fastapi import APIRouter

from accord.console import reports, traces, views

router = APIRouter()
router.include_router(views.router)
router.include_router(reports.router)
router.include_router(traces.router)

__all__ = ["router"]
