"""Business SLA breaches for the owners' notifications: records waiting longer than
``[slas]`` allows, read with the KPIs' own code (:func:`accord.api.kpis.load_records`,
:meth:`~accord.api.kpis.Records.waiting`). Importing this module registers the probe with
the notifier (:mod:`accord.notify.probes`)."""

from __future__ import annotations

from datetime import datetime

from accord.api.kpis import INVOICE, ORDER, PAYMENT, load_records
from accord.engine.timeline import Milestone
from accord.errors import Team
from accord.notify.probes import Breach, register_probe
from accord.observability.slas import Slas
from accord.store import Database

OWNERS = {
    "invoice_to_erp": Team.FINANCE_OPERATIONS,
    "order_activation": Team.REVENUE_OPERATIONS,
    "payment_to_erp": Team.FINANCE_OPERATIONS,
    "payment_to_crm": Team.REVENUE_OPERATIONS,
}
"""Who is told when a record of each kind waits too long."""


def business_breaches(database: Database, slas: Slas, now: datetime) -> list[Breach]:
    with database.session() as session:
        records = load_records(session)
    waiting = {
        "invoice_to_erp": (records[INVOICE].waiting(Milestone.INVOICE_POSTED),
                           slas.invoice_to_erp_minutes),
        "order_activation": (records[ORDER].waiting(Milestone.ORDER_ACTIVATED),
                             slas.order_activation_minutes),
        "payment_to_erp": (records[PAYMENT].waiting(Milestone.PAYMENT_POSTED),
                           slas.payment_to_erp_minutes),
        "payment_to_crm": (records[PAYMENT].waiting(Milestone.CRM_UPDATED,
                                                    after=Milestone.PAYMENT_POSTED),
                           slas.payment_to_crm_minutes),
    }
    found = []
    for sla, (rows, minutes) in waiting.items():
        limit = minutes * 60
        for key, start in rows:
            waited = (now - start).total_seconds()
            if waited > limit:
                found.append(Breach(sla, OWNERS[sla].value, key, waited, limit))
    return found


register_probe("business", business_breaches)

__all__ = ["OWNERS", "business_breaches"]
