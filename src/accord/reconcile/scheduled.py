"""Reconciliation as a flow, and a DBOS cron schedule that starts it.

``reconcile_flow`` is an accord flow (a DBOS workflow) whose single step reads the systems,
stores the run and opens or updates exceptions, exactly like ``accord reconcile``. Import this
module before :func:`accord.engine.launch` (DBOS registers workflows at import), then call
:func:`install_schedule` once the engine runs::

    install_schedule("0 2 * * *")              # every night at 02:00 UTC, the current month

Each firing reconciles the month of its scheduled time, under the correlation id
``recon-<scheduled time>``; the schedule's context carries the systems and whether to heal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from dbos import DBOS, ScheduleInput

from accord.engine.context import current
from accord.engine.flow import FlowInput, flow
from accord.reconcile.heal import HEALERS
from accord.reconcile.period import Period, period_of
from accord.reconcile.service import ALL_SYSTEMS, open_readers, reconcile

SCHEDULE = "accord-reconcile"
FLOW = "reconcile.run"


@DBOS.step(name="accord.reconcile.run")
def _run_step(period: str | None, systems: list[str], heal: bool) -> dict[str, Any]:
    runtime = current()
    chosen = Period.parse(period) if period else None
    gates = {system: limiter for system in systems
             if (limiter := runtime.limiter(system)) is not None}
    with open_readers(systems, runtime.database, chosen, gates=gates) as readers:
        outcome = reconcile(runtime.database, runtime.options.routing, readers, period=chosen,
                            healers=HEALERS if heal else None)
    report = outcome.report
    return {"run_id": report.run_id, "clean": outcome.clean,
            "differences": len(report.differences),
            "total_differences": len(report.total_differences),
            "healed": len(outcome.healed)}


@flow(FLOW)
def reconcile_flow(run: FlowInput) -> dict[str, Any]:
    """Payload: ``period`` (YYYY-MM or absent for all time), ``systems``, ``heal``."""
    payload = run.payload
    return _run_step(payload.get("period"), list(payload.get("systems") or ALL_SYSTEMS),
                     bool(payload.get("heal", False)))


@DBOS.workflow(name="accord.reconcile.scheduled")
def scheduled_reconcile(scheduled_at: datetime, context: Any) -> None:
    settings = dict(context or {})
    reconcile_flow(FlowInput(
        correlation_id=f"recon-{scheduled_at:%Y%m%dT%H%M%S}",
        payload={"period": period_of(scheduled_at.date()),
                 "systems": settings.get("systems") or list(ALL_SYSTEMS),
                 "heal": bool(settings.get("heal", False))}))


def install_schedule(cron: str = "0 2 * * *", *, systems: Sequence[str] = ALL_SYSTEMS,
                     heal: bool = False) -> None:
    """Create or replace the reconciliation schedule (the engine must be running)."""
    schedule: ScheduleInput = {"schedule_name": SCHEDULE, "workflow_fn": scheduled_reconcile,
                               "schedule": cron,
                               "context": {"systems": list(systems), "heal": heal}}
    DBOS.apply_schedules([schedule])


__all__ = ["FLOW", "SCHEDULE", "install_schedule", "reconcile_flow", "scheduled_reconcile"]
