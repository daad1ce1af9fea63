"""The web console: server-rendered pages over the same read models as the API."""

from fastapi import APIRouter

from accord.console import reports, views

router = APIRouter()
router.include_router(views.router)
router.include_router(reports.router)

__all__ = ["router"]
