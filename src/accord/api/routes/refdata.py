"""Reference-data versions over the API: list (viewer); approve, activate and roll back
(admin). The admin is the API token's holder: its name is who acted, and the admin who
proposed a version (``accord refdata propose --as NAME``, NAME being their token's name)
cannot approve it with their token (``docs/governance.md``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel

from accord.api.deps import Admin, Viewer
from accord.api.responses import documented
from accord.api.tokens import Principal
from accord.refdata import versions
from accord.refdata.changes import Change
from accord.refdata.versions import RefdataError
from accord.store import Database
from accord.store.models import RefdataVersion

router = APIRouter(prefix="/v1/refdata", tags=["refdata"])
MAX_VERSION = 2**31 - 1
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
"""Version numbers are 32-bit integers in the store."""


class ChangeRead(BaseModel):
    path: str
    old: Any
    new: Any
    material: bool

    @classmethod
    def of(cls, change: Change) -> ChangeRead:
        return cls(path=change.path, old=change.old, new=change.new, material=change.material)


class VersionRead(BaseModel):
    number: int
    status: str
    material: bool
    based_on: int | None
    proposed_by: str
    approved_by: str | None
    activated_by: str | None
    activated_at: datetime | None

    @classmethod
    def of(cls, row: RefdataVersion) -> VersionRead:
        return cls(number=row.number, status=row.status, material=row.material,
                   based_on=row.based_on, proposed_by=row.proposed_by,
                   approved_by=row.approved_by, activated_by=row.activated_by,
                   activated_at=row.activated_at)


class PostingRead(BaseModel):
    entity_type: str
    canonical_id: str
    system: str
    system_id: str
    correlation_id: str | None


class RollbackRead(BaseModel):
    rolled_back: int
    restored: int
    changes: list[ChangeRead]
    affected: list[PostingRead]


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


def _refused(error: RefdataError) -> HTTPException:
    missing = error.message.startswith("version: there is no")
    return HTTPException(status.HTTP_404_NOT_FOUND if missing else status.HTTP_409_CONFLICT,
                         error.message)


@router.get("/versions")
def list_versions(request: Request, _who: Viewer) -> list[VersionRead]:
    """Every stored version (none while the shipped files, version 1, are all there is)."""
    with _db(request).session() as session:
        return [VersionRead.of(row) for row in versions.history(session)]


@router.post("/versions/{number}/approve", responses=documented(404, 409))
def approve(number: VersionNumber, request: Request, who: Admin) -> VersionRead:
    """Approve a proposed version; refused (409) to the token that proposed it."""
    return _decide(request, number, who, versions.approve)


@router.post("/versions/{number}/activate", responses=documented(404, 409))
def activate(number: VersionNumber, request: Request, who: Admin) -> VersionRead:
    """Make a version the one new postings map with (a material one once approved)."""
    return _decide(request, number, who, versions.activate)


def _decide(request: Request, number: int, who: Principal,
            decision: Callable[..., RefdataVersion]) -> VersionRead:
    """One admin's decision on a version (approve or activate), audited by ``versions``."""
    try:
        with _db(request).session() as session:
            return VersionRead.of(decision(session, number, by=who.name, token_id=who.token_id))
    except RefdataError as error:
        raise _refused(error) from error


@router.post("/rollback", responses=documented(409))
def rollback(request: Request, who: Admin) -> RollbackRead:
    """Reactivate the version the active one replaced; the postings made under the
    rolled-back version, to correct (``accord replay <correlation id>``)."""
    try:
        with _db(request).session() as session:
            done = versions.rollback(session, by=who.name, token_id=who.token_id)
            affected = [PostingRead(entity_type=use.entity_type, canonical_id=use.canonical_id,
                                    system=use.system, system_id=use.system_id,
                                    correlation_id=use.correlation_id)
                        for use in done.affected]
    except RefdataError as error:
        raise _refused(error) from error
    return RollbackRead(rolled_back=done.rolled_back, restored=done.restored,
                        changes=[ChangeRead.of(change) for change in done.changes],
                        affected=affected)


__all__ = ["router"]
