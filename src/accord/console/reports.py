"""Console pages for invoice status, KPIs and reconciliation (read-only). Invoice lookups
share the API's short cache and per-token limit; a system's probe is for operators."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from accord.api.configured_systems import ConfiguredSystems
from accord.api.deps import MAX_ID, SessionDep
from accord.api.invoice_status import NUMBER_PATTERN, invoice_status
from accord.api.kpis import report
from accord.api.queries import step_detail
from accord.api.reconciliation import DifferenceFilter, list_runs, run_detail
from accord.api.systems_view import list_systems, probe_system
from accord.api.tokens import Access
from accord.api.vendor_reads import VendorReads
from accord.console.views import Page, RowId, render
from accord.engine.leases import list_workers
from accord.store import Database

router = APIRouter(prefix="/console", include_in_schema=False)
PAGE_SIZE = 50
PageNumber = Annotated[int, Query(ge=1, le=MAX_ID // PAGE_SIZE)]
"""A page whose offset fits the database's 64-bit integers (422 beyond, as the API)."""


@router.get("/invoices", response_class=HTMLResponse)
async def invoices(request: Request, session: SessionDep, who: Page,
                   number: str = "") -> HTMLResponse:
    number = number.strip()
    answer, problem = None, None
    if number and not re.fullmatch(NUMBER_PATTERN, number):
        problem = "An invoice number has letters, digits, '.', '_', '/' or '-' only."
    elif number:
        systems = ConfiguredSystems(request.app.state.system_settings)
        reads: VendorReads = request.app.state.vendor_reads
        try:
            answer = await run_in_threadpool(reads.invoice, number, who.token_id,
                                             partial(invoice_status, session, systems, number))
        except HTTPException as exc:
            if exc.status_code != status.HTTP_429_TOO_MANY_REQUESTS:
                raise
            return render(request, "invoice.html", who, number=number, answer=None,
                          problem=str(exc.detail), status_code=exc.status_code,
                          headers=exc.headers)
        if answer is None:
            problem = f"No system knows invoice {number}: check the number, or search the " \
                      "timeline for the deal."
    return render(request, "invoice.html", who, number=number, answer=answer, problem=problem)


@router.get("/timeline/steps/{step_id}", response_class=HTMLResponse)
def step(request: Request, step_id: RowId, session: SessionDep, who: Page) -> HTMLResponse:
    found = step_detail(session, step_id, mask=who.role is Access.VIEWER)
    if found is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no step {step_id}")
    shown = json.dumps(found.detail, indent=2, sort_keys=True, default=str) \
        if found.detail is not None else None
    return render(request, "step.html", who, step=found, shown=shown)


@router.get("/kpis", response_class=HTMLResponse)
def kpis(request: Request, session: SessionDep, who: Page) -> HTMLResponse:
    database: Database = request.app.state.database
    figures = report(session, database.engine)
    return render(request, "kpis.html", who, k=figures)


@router.get("/systems", response_class=HTMLResponse)
async def systems(request: Request, session: SessionDep, who: Page,
                  probe: str = "") -> HTMLResponse:
    known = ConfiguredSystems(request.app.state.system_settings)
    rows = list_systems(session, known, datetime.now(UTC))
    probed = None
    may_probe = who.role.allows(Access.OPERATOR)
    if probe in {row.system for row in rows}:
        if not may_probe:
            raise HTTPException(status.HTTP_403_FORBIDDEN,
                                f"role {who.role.value} may not probe a system; operator or "
                                "higher is required")
        reads: VendorReads = request.app.state.vendor_reads
        reads.probe(who.token_id)
        probed = await run_in_threadpool(probe_system, known, probe)
    return render(request, "systems.html", who, rows=rows, probed=probed, may_probe=may_probe)


@router.get("/workers", response_class=HTMLResponse)
async def workers(request: Request, who: Page) -> HTMLResponse:
    found = await run_in_threadpool(list_workers, request.app.state.database)
    now = time.time()
    return render(request, "workers.html", who, rows=[(w, w.state(now)) for w in found],
                  now=now)


@router.get("/reconciliation", response_class=HTMLResponse)
def reconciliation(request: Request, session: SessionDep, who: Page,
                   page: PageNumber = 1) -> HTMLResponse:
    runs = list_runs(session, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
    return render(request, "reconciliation.html", who, runs=runs[:PAGE_SIZE], page=page,
                  more=len(runs) > PAGE_SIZE)


@router.get("/reconciliation/{run_id}", response_class=HTMLResponse)
def reconciliation_run(request: Request, run_id: RowId, session: SessionDep, who: Page,
                       kind: str = "", page: PageNumber = 1) -> HTMLResponse:
    detail = run_detail(session, run_id, DifferenceFilter(
        kind=kind or None, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE))
    if detail is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no reconciliation run {run_id}")
    more = len(detail.differences) > PAGE_SIZE
    detail.differences = detail.differences[:PAGE_SIZE]
    return render(request, "recon_run.html", who, run=detail, kind=kind, page=page, more=more)


__all__ = ["router"]
