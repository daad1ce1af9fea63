"""The NetSuite changes accord polls: customers (credit status, tax registration), by
SuiteQL on ``lastmodifieddate`` from a durable cursor."""

from __future__ import annotations

from accord.connectors.base import PollSpec
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.intake import SuiteQLChangePoller

CUSTOMER_CHANGED = "netsuite.customer.changed"


def customer_poller(client: NetSuiteClient) -> SuiteQLChangePoller:
    return SuiteQLChangePoller(client, "customer", event_type=CUSTOMER_CHANGED)


POLLS = (PollSpec("customer", 120, lambda erp: customer_poller(erp.client),
                  "customer changes (credit status, tax registration)"),)

__all__ = ["CUSTOMER_CHANGED", "POLLS", "customer_poller"]
