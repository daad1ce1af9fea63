"""Salesforce-specific controls under ``/__sandbox/salesforce/``.

| method and path                        | does                                               |
|----------------------------------------|----------------------------------------------------|
| GET  /__sandbox/salesforce/cdc         | change events after ``?after=<replayId>``          |
|                                        | (``&limit=n``, ``&entity=Account`` optional)       |
| GET  /__sandbox/salesforce/limits      | the API usage counters                             |
| PUT  /__sandbox/salesforce/limits      | set the daily allocation, usage, concurrent limit  |
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from accord.sandboxes.faults import CONTROL_PREFIX
from accord.sandboxes.salesforce.limits import LimitSettings
from accord.sandboxes.salesforce.state import SalesforceState


def controls_router(state: SalesforceState) -> APIRouter:
    router = APIRouter(prefix=f"{CONTROL_PREFIX}/salesforce", tags=["salesforce sandbox"])

    @router.get("/cdc")
    def change_events(after: int = Query(default=0, ge=0),
                      limit: int = Query(default=100, ge=1, le=2000),
                      entity: str | None = None) -> dict[str, Any]:
        events, latest = state.changes.after(after, limit, entity)
        return {"events": events, "latestReplayId": latest}

    @router.get("/limits")
    def get_limits() -> dict[str, Any]:
        return {"used": state.limits.used, "daily_api_requests": state.limits.daily_max,
                "concurrent_long_running": state.limits.concurrent_max}

    @router.put("/limits")
    def put_limits(body: LimitSettings) -> dict[str, Any]:
        state.limits.configure(body)
        return get_limits()

    return router


__all__ = ["controls_router"]
