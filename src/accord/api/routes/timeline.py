"""Search the cross-system timeline by any business key or correlation id."""

from __future__ import annotations

from fastapi import APIRouter, Query

from accord.api.deps import SessionDep, Viewer
from accord.api.inputs import NO_NUL
from accord.api.queries import search_timeline
from accord.api.schemas import TimelineAnswer

router = APIRouter(prefix="/v1/timeline", tags=["timeline"])


@router.get("")
def search(session: SessionDep, _who: Viewer,
           q: str = Query(min_length=1, max_length=255, pattern=NO_NUL,
                          description="a business key value or a correlation id"),
           kind: str | None = Query(default=None, max_length=40, pattern=NO_NUL,
                                    description="restrict to one key kind, "
                                    "e.g. opportunity_id, invoice_number"),
           limit: int = Query(default=20, ge=1, le=200)) -> TimelineAnswer:
    return search_timeline(session, q, kind, limit)
