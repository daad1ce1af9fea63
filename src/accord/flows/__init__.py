"""The quote-to-cash flows: CRM -> billing -> ERP.

Importing this package registers every flow with DBOS and with the engine's dispatch (the
inbound event types each handles), and their reconciliation healers with
:data:`accord.reconcile.heal.HEALERS`; import it before :func:`accord.engine.launch`.
"""

from accord.flows import (
    account_sync,
    closed_won,
    customer_sync,
    healers,
    invoice_batch,
    invoice_posting,
    payments,
    product_sync,
    usage,
)

__all__ = ["account_sync", "closed_won", "customer_sync", "healers", "invoice_batch",
           "invoice_posting", "payments", "product_sync", "usage"]
