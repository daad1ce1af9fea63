"""Console pages. Sign-in takes an API token and opens a server-side session
(:mod:`accord.api.sessions`): the HttpOnly, SameSite=Strict cookie holds only the session's
opaque id, expires with it, and signing out revokes it. Every page needs at least the
viewer role."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from accord.api.actions import Closing, close_exception
from accord.api.deps import COOKIE, MAX_ID, SessionDep, database, require
from accord.api.guards import back_to
from accord.api.inputs import WORDS
from accord.api.kpis import report
from accord.api.queries import (
    ExceptionFilter,
    customer_360,
    exception_detail,
    list_customers,
    list_exceptions,
    search_timeline,
)
from accord.api.routes.exceptions import MAX_AGE_HOURS
from accord.api.sessions import SESSION_LIFETIME, close_session, open_session
from accord.api.tokens import Access, Principal, Scope, authenticate
from accord.console.formatting import duration, human
from accord.engine import context as runtime
from accord.engine.audit import audit
from accord.engine.exception_queue import ExceptionStatus, get_exception, retry_exception
from accord.engine.failures import AlreadyClosed, UnknownTarget
from accord.errors import Team
from accord.flows.keys import SEARCHABLE, Key
from accord.store import Database

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.globals["duration"] = duration
templates.env.filters["human"] = human
router = APIRouter(prefix="/console", include_in_schema=False)


class LoginRequired(Exception):
    """Raised by page dependencies; the app turns it into a redirect to the sign-in page."""


def viewer(request: Request, db: Annotated[Database, Depends(database)]) -> Principal:
    try:
        return require(Access.VIEWER)(request, db, None)
    except HTTPException as exc:
        if exc.status_code == status.HTTP_401_UNAUTHORIZED:
            raise LoginRequired from exc
        raise


Page = Annotated[Principal, Depends(viewer)]
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]
"""A row id in a console path: validated as the API validates it (422 beyond 64 bits)."""


def render(request: Request, name: str, who: Principal | None, *, status_code: int = 200,
           headers: Mapping[str, str] | None = None, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, {"who": who, **context},
                                      status_code=status_code, headers=headers)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    return render(request, "login.html", None, error=None)


@router.post("/login", response_model=None)
def login(request: Request, db: Annotated[Database, Depends(database)],
          token: Annotated[str, Form(min_length=1)]) -> Response:
    with db.session() as session:
        principal = authenticate(session, token.strip())
        session_id = open_session(session, principal) if principal is not None else None
        if principal is not None:
            audit(session, actor=principal.name, action="session.open",
                  target_type="token", target_id=str(principal.token_id),
                  token_id=principal.token_id)
    if session_id is None:
        return render(request, "login.html", None,
                      error="That token is unknown, expired or revoked.")
    response = RedirectResponse("/console", status_code=status.HTTP_303_SEE_OTHER)
    response.set_cookie(COOKIE, session_id, httponly=True, samesite="strict",
                        secure=_over_https(request),
                        max_age=int(SESSION_LIFETIME.total_seconds()))
    return response


def _over_https(request: Request) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a proxy that says so
    in ``X-Forwarded-Proto``): the cookie is then marked ``Secure``."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


@router.post("/logout")
def logout(request: Request, db: Annotated[Database, Depends(database)]) -> RedirectResponse:
    """Sign out: the session is revoked in the database, not only forgotten by the browser."""
    presented = request.cookies.get(COOKIE)
    if presented:
        with db.session() as session:
            token_id = close_session(session, presented)
            if token_id is not None:
                audit(session, actor="console", action="session.close", target_type="token",
                      target_id=str(token_id), token_id=token_id)
    response = RedirectResponse("/console/login", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE)
    return response


@router.get("", response_class=HTMLResponse)
def dashboard(request: Request, session: SessionDep, who: Page) -> HTMLResponse:
    """The headline figures: the same report as ``/v1/kpis``."""
    db: Database = request.app.state.database
    figures = report(session, db.engine)
    return render(request, "dashboard.html", who, k=figures, history=figures.history)


@router.get("/timeline", response_class=HTMLResponse)
def timeline(request: Request, session: SessionDep, who: Page, q: str = "",
             kind: str = "") -> HTMLResponse:
    answer = search_timeline(session, q.strip(), kind or None,
                             mask=who.role is Access.VIEWER) if q.strip() else None
    return render(request, "timeline.html", who, q=q, kind=kind, answer=answer,
                  kinds=SEARCHABLE, invoice_key=Key.INVOICE_NUMBER)


@router.get("/customers", response_class=HTMLResponse)
def customers(request: Request, session: SessionDep, who: Page, q: str = "") -> HTMLResponse:
    return render(request, "customers.html", who, q=q, rows=list_customers(session, q))


@router.get("/customers/{canonical_id}", response_class=HTMLResponse)
def customer(request: Request, canonical_id: str, session: SessionDep,
             who: Page) -> HTMLResponse:
    view = customer_360(session, request.app.state.ownership, canonical_id,
                        mask=who.role is Access.VIEWER)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no customer {canonical_id}")
    return render(request, "customer.html", who, customer=view)


@router.get("/exceptions", response_class=HTMLResponse)
def exceptions(request: Request, session: SessionDep, who: Page, owner: str = "",
               system: str = "", kind: str = "", status_: str = ExceptionStatus.OPEN.value,
               min_age_hours: Annotated[float | None, Query(ge=0, le=MAX_AGE_HOURS)] = None
               ) -> HTMLResponse:
    age = timedelta(hours=min_age_hours) if min_age_hours else None
    rows = list_exceptions(session, ExceptionFilter(
        status=status_ or None, owner=owner or None, system=system or None, kind=kind or None,
        older_than=age), mask=who.role is Access.VIEWER)
    return render(request, "exceptions.html", who, rows=rows, owner=owner, system=system,
                  kind=kind, status_=status_, statuses=list(ExceptionStatus), owners=list(Team))


@router.get("/exceptions/{exception_id}", response_class=HTMLResponse)
def exception(request: Request, exception_id: RowId, who: Page, session: SessionDep,
              db: Annotated[Database, Depends(database)]) -> HTMLResponse:
    """One exception with the context needed to fix the data, the reconciliation
    differences it explains, who was told about it, and its actions."""
    try:
        view = get_exception(db, exception_id)
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return render(request, "exception.html", who,
                  e=exception_detail(session, view, mask=who.role is Access.VIEWER),
                  can_retry=runtime.is_running())


def _may(who: Principal, scope: Scope) -> None:
    """An operator token holding ``scope``, else 403 (the API's own check)."""
    if not who.role.allows(Access.OPERATOR):
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"role {who.role.value} may not act on exceptions")
    if scope not in who.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN,
                            f"scope: this token lacks the {scope.value!r} scope")


@router.post("/exceptions/{exception_id}/retry")
def retry(exception_id: RowId, who: Page, db: Annotated[Database, Depends(database)],
          note: Annotated[str, Form(min_length=1, max_length=2000, pattern=WORDS)]
          ) -> RedirectResponse:
    """Re-run the failed flow from its failed step once the data is fixed (operator and
    above, with the ``replay`` scope; needs the engine in this process); the exception clears
    when the flow succeeds."""
    _may(who, Scope.REPLAY)
    if not runtime.is_running():
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the engine is not running in this process; start `accord serve` "
                            "with workers, or run `accord exceptions retry`")
    try:
        retry_exception(db, exception_id, actor=who.name, note=note, token_id=who.token_id)
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    return RedirectResponse(f"/console/exceptions/{exception_id}",
                            status_code=status.HTTP_303_SEE_OTHER)


@router.post("/exceptions/{exception_id}/{action}")
def act_on_exception(exception_id: RowId, action: Closing, request: Request, who: Page,
                     db: Annotated[Database, Depends(database)],
                     note: Annotated[str, Form(min_length=1, max_length=2000, pattern=WORDS)]
                     ) -> RedirectResponse:
    """Resolve or ignore with a note (operator and above, with the ``exceptions`` scope);
    audited by the engine."""
    _may(who, Scope.EXCEPTIONS)
    try:
        close_exception(db, exception_id, action, actor=who.name, note=note,
                        token_id=who.token_id)
    except UnknownTarget as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
    except AlreadyClosed as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
    return RedirectResponse(back_to(request, f"/console/exceptions/{exception_id}"),
                            status_code=status.HTTP_303_SEE_OTHER)


__all__ = ["HERE", "LoginRequired", "router"]
