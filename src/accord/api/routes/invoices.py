"""One invoice's status across billing, the ERP and the CRM."""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from fastapi.concurrency import run_in_threadpool

from accord.api.configured_systems import ConfiguredSystems
from accord.api.deps import SessionDep, Viewer
from accord.api.invoice_status import NUMBER_PATTERN, InvoiceStatus, invoice_status
from accord.api.responses import documented
from accord.api.vendor_reads import VendorReads

router = APIRouter(prefix="/v1/invoices", tags=["invoices"])


@router.get("/{number}", responses=documented(404, 429))
async def get_invoice(number: Annotated[str, Path(pattern=NUMBER_PATTERN,
                                                  description="the invoice number")],
                      request: Request, session: SessionDep, who: Viewer) -> InvoiceStatus:
    """The invoice's state in billing, in the ERP instance that holds it (posted or not,
    document number) and in the CRM; each section says whether its system was reachable.
    An answer is kept for a short time (``vendor_read_cache_seconds``); lookups that reach
    the vendors are rate-limited per token (429 with Retry-After)."""
    systems = ConfiguredSystems(request.app.state.system_settings)
    reads: VendorReads = request.app.state.vendor_reads
    answer = await run_in_threadpool(reads.invoice, number, who.token_id,
                                     partial(invoice_status, session, systems, number))
    if answer is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"number: no system knows invoice {number!r}")
    return answer
