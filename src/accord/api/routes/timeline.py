"""Search the cross-system timeline by any business key or correlation id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query, status

from accord.api.deps import MAX_ID, SessionDep, Viewer
from accord.api.inputs import NO_NUL
from accord.api.queries import list_steps, search_timeline, step_detail
from accord.api.responses import documented
from accord.api.schemas import StepDetail, StepPage, TimelineAnswer
from accord.api.tokens import Access
from accord.engine.timeline import Milestone, StepOutcome
from accord.flows.keys import LEGACY

router = APIRouter(prefix="/v1/timeline", tags=["timeline"])


@router.get("")
def search(session: SessionDep, who: Viewer,
           q: str = Query(min_length=1, max_length=255, pattern=NO_NUL,
                          description="a business key value or a correlation id"),
           kind: str | None = Query(default=None, max_length=40, pattern=NO_NUL,
                                    description="restrict to one key kind, "
                                    "e.g. deal_id, invoice_number"),
           limit: int = Query(default=20, ge=1, le=200)) -> TimelineAnswer:
    if kind is not None and kind in LEGACY:  # a kind named by vendor before keys had roles
        kind = LEGACY[kind].value
    return search_timeline(session, q, kind, limit, mask=who.role is Access.VIEWER)


@router.get("/steps")
def steps(session: SessionDep, who: Viewer,
          outcome: Annotated[StepOutcome | None,
                             Query(description="only this outcome")] = None,
          milestone: Annotated[Milestone | None,
                               Query(description="only steps that reached it")] = None,
          after_id: int = Query(default=0, ge=0, le=MAX_ID,
                                description="the last id of the previous page"),
          limit: int = Query(default=500, ge=1, le=1000)) -> StepPage:
    """Every step (one row per attempt) in id order, a page at a time: what the KPIs count,
    row by row."""
    return list_steps(session, outcome=outcome, milestone=milestone, after_id=after_id,
                      limit=limit, mask=who.role is Access.VIEWER)


@router.get("/steps/{step_id}", responses=documented(404))
def step(step_id: Annotated[int, Path(ge=1, le=MAX_ID)], session: SessionDep,
         who: Viewer) -> StepDetail:
    """One step with the payload it sent and got: secrets redacted for everyone, personal
    data masked for viewers."""
    found = step_detail(session, step_id, mask=who.role is Access.VIEWER)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"step_id: no step {step_id}")
    return found
