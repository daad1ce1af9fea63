"""Handlers for each family of Stripe resources; each module registers its routes."""

from __future__ import annotations

from accord.sandboxes.stripe.resources import (
    catalog,
    credit_notes,
    customers,
    events,
    invoice_lines,
    invoices,
    meters,
    payments,
    subscriptions,
    test_clocks,
)
from accord.sandboxes.stripe.routing import Router


def build_router() -> Router:
    router = Router()
    for module in (customers, catalog, payments, invoices, invoice_lines,
                   credit_notes, subscriptions, events,
                   test_clocks, meters):
        module.register(router)
    return router
