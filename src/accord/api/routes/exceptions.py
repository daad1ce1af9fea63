"""The exception queue: list and filter; resolve, ignore or retry with a note (operator)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, HTTPException, Path, Query, Request, status
from pydantic import BaseModel, Field

from accord.api.actions import Closing, close_exception
from accord.api.deps import MAX_ID, ExceptionActor, Replayer, SessionDep, Viewer
from accord.api.inputs import NO_NUL, WORDS
from accord.api.masking import scrub_exception
from accord.api.queries import ExceptionFilter, exception_detail, list_exceptions
from accord.api.responses import documented
from accord.api.schemas import ExceptionDetail, ExceptionSummary
from accord.api.tokens import Access
from accord.engine import context as runtime
from accord.engine.exception_queue import (
    ExceptionStatus,
    ExceptionView,
    get_exception,
    retry_exception,
)
from accord.engine.failures import AlreadyClosed, UnknownTarget
from accord.store import Database

router = APIRouter(prefix="/v1/exceptions", tags=["exceptions"])
MAX_AGE_HOURS = 24 * 366 * 100
ExceptionId = Annotated[int, Path(ge=1, le=MAX_ID)]


Text = Annotated[str | None, Query(max_length=255, pattern=NO_NUL)]


class ActionNote(BaseModel):
    note: str = Field(min_length=1, max_length=2000, pattern=WORDS,
                      description="why; kept in the audit log")


class RetryStarted(BaseModel):
    exception_id: int
    workflow_id: str


@router.get("")
def list_(session: SessionDep, who: Viewer,
          status_: Annotated[ExceptionStatus | None, Query(alias="status")
                             ] = ExceptionStatus.OPEN,
          owner: Text = None, system: Text = None, kind: Text = None,
          min_age_hours: float | None = Query(default=None, ge=0, le=MAX_AGE_HOURS),
          limit: int = Query(default=200, ge=1, le=1000)) -> list[ExceptionSummary]:
    age = timedelta(hours=min_age_hours) if min_age_hours is not None else None
    return list_exceptions(session, ExceptionFilter(status=status_.value if status_ else None,
                                                    owner=owner, system=system,
                                                    kind=kind, older_than=age, limit=limit),
                           mask=who.role is Access.VIEWER)


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/{exception_id}", responses=documented(404))
def show(exception_id: ExceptionId, request: Request, session: SessionDep,
         who: Viewer) -> ExceptionDetail:
    """One exception with its context and the reconciliation differences it explains."""
    try:
        view = get_exception(_db(request), exception_id)
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return exception_detail(session, view, mask=who.role is Access.VIEWER)


@router.post("/{exception_id}/retry", status_code=status.HTTP_202_ACCEPTED,
             responses=documented(404, 503))
def retry(exception_id: ExceptionId, request: Request, who: Replayer,
          body: Annotated[ActionNote, Body()]) -> RetryStarted:
    """Re-run the failed flow from its failed step once the data is fixed."""
    if not runtime.is_running():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the engine is not running in this process; start `accord serve` "
                            "with workers, or run `accord exceptions retry`")
    try:
        new_id = retry_exception(_db(request), exception_id, actor=who.name, note=body.note,
                                 token_id=who.token_id)
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return RetryStarted(exception_id=exception_id, workflow_id=new_id)


@router.post("/{exception_id}/{action}", responses=documented(404, 409))
def close(exception_id: ExceptionId, action: Closing, request: Request, who: ExceptionActor,
          body: Annotated[ActionNote, Body()]) -> ExceptionView:
    """Resolve (fixed) or ignore (needs no action) with a note; audited."""
    try:
        closed = close_exception(_db(request), exception_id, action, actor=who.name,
                                 note=body.note, token_id=who.token_id)
        return ExceptionView.model_validate(scrub_exception(closed.model_dump(),
                                                            mask_personal=False))
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except AlreadyClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
