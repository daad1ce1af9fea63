"""Reference-data versions in the store: propose, approve, activate, roll back.

Version 1 is the shipped files; while the store holds no version, :func:`active` answers
with them, so an installation that never proposes anything behaves as before. The first
proposal records version 1 as the shipped bundle, so history starts where the data did.

A financially material version (:mod:`accord.refdata.changes`) is activated only after an
admin other than its proposer approved it. Rolling back reactivates the version the
rolled-back one replaced: it changes what new postings map with, never what was posted
(:func:`rollback` lists those postings for a person to correct). Every step is a row of the
tamper-evident audit chain, in the same transaction as the change it records.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord.engine.audit import audit
from accord.errors import PermanentError
from accord.flows.systems import Mappings
from accord.refdata.bundle import RefdataBundle
from accord.refdata.changes import Change, diff, material
from accord.store import Database
from accord.store.models import RefdataUse, RefdataVersion, utcnow

SHIPPED = 1
"""The version number of the shipped files."""
SHIPPED_BY = "shipped files"
TARGET = "refdata_version"


class VersionStatus(StrEnum):
    PROPOSED = "proposed"
    APPROVED = "approved"
    ACTIVE = "active"
    SUPERSEDED = "superseded"
    ROLLED_BACK = "rolled_back"


class Action(StrEnum):
    """The audit actions of reference data."""

    RECORD_SHIPPED = "refdata.record_shipped"
    PROPOSE = "refdata.propose"
    APPROVE = "refdata.approve"
    ACTIVATE = "refdata.activate"
    ROLLBACK = "refdata.rollback"


class RefdataError(PermanentError):
    """A reference-data step that is not allowed now (the message says why and what to do)."""

    code = "refdata"


@dataclass(frozen=True)
class ActiveRefdata:
    version: int
    bundle: RefdataBundle


@dataclass(frozen=True)
class Proposal:
    version: int
    material: bool
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class Rollback:
    rolled_back: int
    restored: int
    changes: tuple[Change, ...]
    """What new postings map differently with from now on (rolled-back -> restored)."""
    affected: tuple[RefdataUse, ...]
    """Postings made under the rolled-back version: candidates for correction."""


_cache: dict[str, RefdataBundle] = {}
_shipped: list[RefdataBundle] = []
_lock = threading.Lock()


def shipped() -> RefdataBundle:
    with _lock:
        if not _shipped:
            _shipped.append(RefdataBundle.from_files())
        return _shipped[0]


def bundle_of(row: RefdataVersion) -> RefdataBundle:
    """The validated bundle of a stored version (parsed once per digest)."""
    with _lock:
        found = _cache.get(row.digest)
    if found is None:
        found = RefdataBundle.model_validate(row.document)
        with _lock:
            _cache[row.digest] = found
    return found


def _active_row(session: Session) -> RefdataVersion | None:
    return session.scalar(select(RefdataVersion).where(
        RefdataVersion.status == VersionStatus.ACTIVE.value))


def active(session: Session) -> ActiveRefdata:
    """The version new postings map with: the active stored version, else the shipped
    files as version 1. Read for every posting: the version's number and digest only, its
    document once per digest."""
    found = session.execute(select(RefdataVersion.number, RefdataVersion.digest).where(
        RefdataVersion.status == VersionStatus.ACTIVE.value)).first()
    if found is None:
        return ActiveRefdata(SHIPPED, shipped())
    number, digest = found
    with _lock:
        bundle = _cache.get(digest)
    return ActiveRefdata(number, bundle or bundle_of(get(session, number)))


def live_mappings(database: Database) -> Callable[[], Mappings]:
    """What the service's systems read their SKU mapping, legal entities and ownership policy
    from: the active version, looked up on every call (its number and digest; the document is
    parsed once per digest), so every worker follows an activation or a rollback at its next
    step. The routing table stays the configured one: the systems were built from it."""

    def read() -> Mappings:
        with database.session() as session:
            found = active(session)
        bundle = found.bundle
        return Mappings(found.version, bundle.skus, bundle.entities, bundle.policy)

    return read


def get(session: Session, number: int) -> RefdataVersion:
    row = session.get(RefdataVersion, number) if 0 < number < 2**31 else None
    if row is None:
        raise RefdataError(f"version: there is no reference-data version {number} "
                           "(`accord refdata list` shows them)")
    return row


def history(session: Session) -> list[RefdataVersion]:
    return list(session.scalars(select(RefdataVersion).order_by(RefdataVersion.number)))


def _record_shipped(session: Session) -> None:
    if session.scalar(select(func.count()).select_from(RefdataVersion)):
        return
    bundle = shipped()
    now = utcnow()
    session.add(RefdataVersion(number=SHIPPED, document=bundle.document(),
                               digest=bundle.digest(), status=VersionStatus.ACTIVE.value,
                               material=False, proposed_by=SHIPPED_BY, proposed_at=now,
                               activated_by=SHIPPED_BY, activated_at=now,
                               note="the shipped reference-data files"))
    audit(session, actor=SHIPPED_BY, action=Action.RECORD_SHIPPED.value, target_type=TARGET,
          target_id=str(SHIPPED), detail={"digest": bundle.digest()})


def propose(session: Session, bundle: RefdataBundle, *, by: str,
            note: str | None = None, token_id: int | None = None) -> Proposal:
    """Store ``bundle`` as the next version, proposed by ``by``, with its changes against
    the active version. Nothing changes for postings until it is activated."""
    _require_actor(by)
    bundle.check_references()
    _record_shipped(session)
    base = active(session)
    changes = diff(base.bundle, bundle)
    if not changes:
        raise RefdataError(f"bundle: nothing to propose, it equals the active version "
                           f"{base.version}")
    number = int(session.scalar(select(func.max(RefdataVersion.number))) or 0) + 1
    is_material = material(changes)
    session.add(RefdataVersion(number=number, document=bundle.document(),
                               digest=bundle.digest(), status=VersionStatus.PROPOSED.value,
                               material=is_material, based_on=base.version, note=note,
                               proposed_by=by, proposed_at=utcnow()))
    audit(session, actor=by, token_id=token_id, action=Action.PROPOSE.value,
          target_type=TARGET,
          target_id=str(number), detail={
              "based_on": base.version, "material": is_material, "digest": bundle.digest(),
              "changes": [change.describe() for change in changes]})
    return Proposal(number, is_material, tuple(changes))


def approve(session: Session, number: int, *, by: str,
            token_id: int | None = None) -> RefdataVersion:
    """A second admin's approval. The proposer cannot approve their own version."""
    _require_actor(by)
    row = get(session, number)
    if row.status != VersionStatus.PROPOSED.value:
        raise RefdataError(f"version {number} is {row.status}: only a proposed version can "
                           "be approved")
    if by == row.proposed_by:
        raise RefdataError(f"approver: {by} proposed version {number} and cannot approve it; "
                           "a second admin must")
    row.status = VersionStatus.APPROVED.value
    row.approved_by = by
    row.approved_at = utcnow()
    audit(session, actor=by, token_id=token_id, action=Action.APPROVE.value,
          target_type=TARGET,
          target_id=str(number), detail={"proposed_by": row.proposed_by,
                                         "material": row.material})
    return row


def activate(session: Session, number: int, *, by: str,
             token_id: int | None = None) -> RefdataVersion:
    """Make version ``number`` the one new postings map with. A material version needs its
    approval first; a version proposed against a version no longer active must be proposed
    again (its changes were computed against other data)."""
    _require_actor(by)
    row = get(session, number)
    if row.status not in (VersionStatus.PROPOSED.value, VersionStatus.APPROVED.value):
        raise RefdataError(f"version {number} is {row.status}: only a proposed or approved "
                           "version can be activated")
    if row.material and row.status != VersionStatus.APPROVED.value:
        raise RefdataError(f"version {number} changes financially material data and needs a "
                           f"second admin's approval first (`accord refdata approve {number} "
                           "--as NAME`, by someone other than its proposer)")
    current = active(session)
    if row.based_on != current.version:
        raise RefdataError(f"version {number} was proposed against version {row.based_on}, "
                           f"but version {current.version} is active now: propose it again")
    _set_active(session, row, by, previous_status=VersionStatus.SUPERSEDED)
    audit(session, actor=by, token_id=token_id, action=Action.ACTIVATE.value,
          target_type=TARGET,
          target_id=str(number), detail={"replaces": current.version,
                                         "approved_by": row.approved_by})
    return row


def rollback(session: Session, *, by: str, token_id: int | None = None) -> Rollback:
    """Reactivate the version the active one replaced. New postings map with it from the
    next read; postings made under the rolled-back version stay as they are and are listed
    (with what maps differently now) for a person to correct."""
    _require_actor(by)
    current = _active_row(session)
    if current is None or current.based_on is None:
        raise RefdataError("rollback: the shipped version is active; there is nothing to roll "
                           "back to")
    previous = get(session, current.based_on)
    changes = diff(bundle_of(current), bundle_of(previous))
    current.status = VersionStatus.ROLLED_BACK.value
    session.flush()
    _set_active(session, previous, by, previous_status=None)
    affected = tuple(session.scalars(select(RefdataUse).where(
        RefdataUse.version == current.number).order_by(RefdataUse.id)))
    audit(session, actor=by, token_id=token_id, action=Action.ROLLBACK.value,
          target_type=TARGET,
          target_id=str(current.number), detail={
              "restored": previous.number, "affected_postings": len(affected),
              "changes": [change.describe() for change in changes]})
    return Rollback(current.number, previous.number, tuple(changes), affected)


def _set_active(session: Session, row: RefdataVersion, by: str, *,
                previous_status: VersionStatus | None) -> None:
    if previous_status is not None:
        for old in session.scalars(select(RefdataVersion).where(
                RefdataVersion.status == VersionStatus.ACTIVE.value)):
            old.status = previous_status.value
        session.flush()
    row.status = VersionStatus.ACTIVE.value
    row.activated_by = by
    row.activated_at = utcnow()


def _require_actor(by: str) -> None:
    if not by.strip():
        raise RefdataError("as: name the admin acting (--as NAME)")


__all__ = ["SHIPPED", "Action", "ActiveRefdata", "Proposal", "RefdataError", "Rollback",
           "VersionStatus", "activate", "active", "approve", "bundle_of", "get", "history",
           "live_mappings",
           "propose", "rollback", "shipped"]
