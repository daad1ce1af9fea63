"""Customer 360: the golden record, who owns each field, the ids in every system, and the
customer's open exceptions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel
from sqlalchemy import select

from accord.api.deps import SessionDep, Viewer
from accord.canonical.ids import EntityType
from accord.registry import GoldenRecords, Xrefs
from accord.registry.ownership import OwnershipPolicy
from accord.store.models import ExceptionRecord

router = APIRouter(prefix="/v1/customers", tags=["customers"])


class FieldView(BaseModel):
    value: Any
    owner: str | None
    source: str | None
    changed_at: datetime | None


class OpenException(BaseModel):
    id: int
    kind: str
    owner: str
    field: str | None
    reason: str
    created_at: datetime


class Customer360(BaseModel):
    canonical_id: str
    version: int
    fields: dict[str, FieldView]
    ids: dict[str, str]
    open_exceptions: list[OpenException]


@router.get("/{canonical_id}")
def customer_360(canonical_id: str, request: Request, session: SessionDep,
                 _who: Viewer) -> Customer360:
    policy: OwnershipPolicy = request.app.state.ownership
    view = GoldenRecords(session, policy).current(canonical_id)
    if view is None or view.entity_type is not EntityType.CUSTOMER:
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"canonical_id: no customer {canonical_id!r}")
    stage = "active" if view.data.get("status") == "active" else None
    fields = {
        name: FieldView(value=value,
                        owner=policy.owner_of(EntityType.CUSTOMER, name, stage),
                        source=view.field_sources.get(name, {}).get("system"),
                        changed_at=view.field_sources.get(name, {}).get("changed_at"))
        for name, value in sorted(view.data.items())
    }
    exceptions = session.scalars(select(ExceptionRecord).where(
        ExceptionRecord.record_ref == canonical_id, ExceptionRecord.status == "open")
        .order_by(ExceptionRecord.created_at))
    return Customer360(
        canonical_id=canonical_id, version=view.version, fields=fields,
        ids=Xrefs(session).ids_for(canonical_id),
        open_exceptions=[OpenException.model_validate(e, from_attributes=True)
                         for e in exceptions])
