"""Healers: what reconciliation finds missing, re-driven through the flows that post it.

``accord reconcile --heal`` hands each ``missing_in_target`` difference to the healer of its
entity and target system (:data:`accord.reconcile.heal.HEALERS`). Every healer here does the
same thing, in this order, and never writes to a system itself:

1. an open flow exception holds the record (a NetSuite posting refused because its period
   was closed, a payment that gave up waiting for that invoice, a deal refused for its
   data): the flow behind it is *replayed* from its first step (:func:`accord.engine.replay`,
   a DBOS fork with the original idempotency keys), so once the cause is fixed the posting
   goes through and the engine resolves the exception;
2. otherwise the latest flow that handled the record (found through the business keys flows
   note) is replayed the same way;
3. otherwise, for an invoice billing holds, the invoice posting flow is started for it;
4. otherwise there is nothing to re-drive: the difference stays open for its owner.

A healer waits (up to :data:`WAIT_SECONDS`) for the flow, so the re-check that follows sees
its result: ``redriven`` when it finished, ``failed`` (with the flow's reason) when it failed
again, e.g. because the period is still closed. The engine must be running in the process;
the flows run wherever workers listen. A flow no worker has picked up after
:data:`QUEUED_SECONDS` is left queued (``redriven``; the re-check still shows the record
missing until a worker runs it).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from dbos import DBOS

from accord.canonical.roles import Role
from accord.connectors.registry import connector_for
from accord.engine import FlowInput, current, start_flow
from accord.engine.failures import EngineError, UnknownTarget
from accord.engine.replay import replay, resolve_workflow
from accord.flows.invoice_posting import invoice_posting
from accord.flows.keys import Key
from accord.reconcile.differences import Difference
from accord.reconcile.heal import HEALERS, HealResult
from accord.reconcile.runs import holding_exception

ACTOR = "reconcile"
WAIT_SECONDS = 120.0
QUEUED_SECONDS = 30.0
POLL_SECONDS = 0.1
FINISHED = {"SUCCESS", "ERROR", "CANCELLED", "MAX_RECOVERY_ATTEMPTS_EXCEEDED"}


class HealFailed(EngineError):
    """The re-driven flow failed again; its own exception says why."""


def wait_for(workflow_id: str, *, seconds: float = WAIT_SECONDS,
             sleep: Callable[[float], None] = time.sleep) -> HealResult:
    """Wait for a re-driven flow: ``redriven`` when it succeeded (or is still queued when
    the wait ends); raises :class:`HealFailed` when it failed."""
    waited = 0.0
    while waited < seconds:
        status = DBOS.get_workflow_status(workflow_id)
        if status is not None and status.status in FINISHED:
            if status.status == "SUCCESS":
                return HealResult.REDRIVEN
            raise HealFailed(f"{workflow_id} {status.status.lower()}: {status.error}")
        if status is not None and status.status == "ENQUEUED" and waited >= QUEUED_SECONDS:
            break  # no worker is taking it now; it stays queued
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS
    return HealResult.REDRIVEN


def _latest_flow(difference: Difference) -> str | None:
    database = current().database
    for ref in difference.refs:
        try:
            return resolve_workflow(database, ref)
        except UnknownTarget:
            continue
    return None


def redrive(difference: Difference) -> HealResult:
    """Replay the flow that holds or handled the record, or start the invoice posting."""
    database = current().database
    holder = holding_exception(database, difference)
    workflow_id = holder.workflow_id if holder is not None else None
    event = holder.correlation_id if workflow_id is not None and holder is not None else None
    workflow_id = workflow_id or _latest_flow(difference)
    if workflow_id is not None:  # an event of a batch flow is replayed alone
        return wait_for(replay(database, workflow_id, actor=ACTOR, event=event).workflow_id)
    source = connector_for(difference.source_system)
    billed = next(iter(difference.source_ids), None)
    if difference.entity == "invoice" and billed is not None and source is not None \
            and source.kind is Role.BILLING:
        handle = start_flow(invoice_posting, FlowInput(
            correlation_id=f"recon-heal:{difference.key}",
            keys={Key.BILLING_INVOICE_ID: billed}, system=difference.source_system))
        return wait_for(handle.workflow_id)
    return HealResult.SKIPPED


for _entity, _role in (("invoice", Role.ERP), ("payment", Role.ERP), ("refund", Role.ERP),
                       ("customer", Role.ERP), ("customer", Role.BILLING)):
    HEALERS.register(_entity, target=_role)(redrive)


__all__ = ["QUEUED_SECONDS", "WAIT_SECONDS", "HealFailed", "redrive", "wait_for"]
