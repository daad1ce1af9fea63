"""Salesforce-specific controls under ``/__sandbox/salesforce/``.

| method and path                        | does                                               |
|----------------------------------------|----------------------------------------------------|
| GET  /__sandbox/salesforce/cdc         | change events after ``?after=<replayId>``          |
|                                        | (``&limit=n``, ``&entity=Account`` optional)       |
| GET  /__sandbox/salesforce/limits      | usage, limits, refusals (403) and peak concurrency |
| PUT  /__sandbox/salesforce/limits      | set the daily allocation, usage, concurrent limit  |
| POST /__sandbox/salesforce/limits/reset| forget refusals and peaks (usage is kept)          |
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from accord.sandboxes.faults import CONTROL_PREFIX
from accord.sandboxes.salesforce.limits import LimitSettings, LimitsView
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
    def get_limits() -> LimitsView:
        return state.limits.view()

    @router.put("/limits")
    def put_limits(body: LimitSettings) -> LimitsView:
        state.limits.configure(body)
        return state.limits.view()

    @router.post("/limits/reset")
    def reset_limit_figures() -> LimitsView:
        state.limits.reset_figures()
        return state.limits.view()

    return router


__all__ = ["controls_router"]
