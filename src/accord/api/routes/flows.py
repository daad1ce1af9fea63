"""Flows at a glance: finished flows by name and outcome, what runs now, the inbox backlog."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from accord.api.deps import Viewer
from accord.engine.control import EngineClient, FlowSummary

router = APIRouter(prefix="/v1/flows", tags=["flows"])


@router.get("")
async def summary(request: Request, _who: Viewer) -> FlowSummary:
    """Every flow that finished, by name and outcome (``exception`` when it stopped on one);
    how many are enqueued or running; how many stored events wait for their flow."""
    client: EngineClient = request.app.state.engine_client
    return await run_in_threadpool(client.flow_summary)
