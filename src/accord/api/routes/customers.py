"""Customer 360: the golden record, who owns each field, the ids in every system, and the
customer's open exceptions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status

from accord.api.deps import SessionDep, Viewer
from accord.api.inputs import NO_NUL
from accord.api.queries import customer_360
from accord.api.responses import documented
from accord.api.schemas import Customer360
from accord.api.tokens import Access

router = APIRouter(prefix="/v1/customers", tags=["customers"])


@router.get("/{canonical_id}", responses=documented(404))
def get_customer(canonical_id: Annotated[str, Path(max_length=40, pattern=NO_NUL)],
                 request: Request, session: SessionDep,
                 who: Viewer) -> Customer360:
    """Personal data (addresses, contacts, tax ids) is masked for the viewer role."""
    view = customer_360(session, request.app.state.ownership, canonical_id,
                        mask=who.role is Access.VIEWER)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"canonical_id: no customer {canonical_id!r}")
    return view
