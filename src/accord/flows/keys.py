"""The business keys flows note on their traces: the words the timeline is searched by and
the KPIs count entities by. Readers (the API, the console, reconciliation) import these;
none spells a key of its own.

A key names one record a trace concerns. Keys of accord's own records hold canonical ids
(``customer_id``, ``invoice_id``, ``payment_id``); the others hold a source system's id for
the inbound event's record, named by the role that system plays (``deal_id`` in the CRM,
``billing_invoice_id``, ``erp_customer_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from accord.engine.flow import FlowInput, rename_keys
from accord.errors import DataQualityError, Team


class Key(StrEnum):
    DEAL_ID = "deal_id"  # the CRM deal: an order
    ACCOUNT_ID = "account_id"  # the CRM account
    CUSTOMER_ID = "customer_id"  # canonical customer
    SUBSCRIPTION_ID = "subscription_id"  # canonical subscription
    INVOICE_ID = "invoice_id"  # canonical invoice
    INVOICE_NUMBER = "invoice_number"  # the invoice's document number, as billing issued it
    PAYMENT_ID = "payment_id"  # canonical payment
    USAGE_ID = "usage_id"
    USAGE_RECORD_ID = "usage_record_id"
    SKU = "sku"
    BILLING_INVOICE_ID = "billing_invoice_id"  # the billing system's invoice
    BILLING_PAYMENT_ID = "billing_payment_id"  # the billing system's payment (a charge)
    ERP_CUSTOMER_ID = "erp_customer_id"  # the ERP's customer
    REFDATA_VERSION = "refdata_version"  # the reference-data version an ERP posting used


LEGACY: Mapping[str, Key] = {"opportunity_id": Key.DEAL_ID,
                             "stripe_invoice_id": Key.BILLING_INVOICE_ID,
                             "stripe_charge_id": Key.BILLING_PAYMENT_ID,
                             "netsuite_customer_id": Key.ERP_CUSTOMER_ID}
"""Key names of traces and flow inputs written before keys were named by role (migration
0009 renames the stored ones; a flow started before it reads its input through these)."""

rename_keys(LEGACY)

SEARCHABLE = (Key.DEAL_ID, Key.ACCOUNT_ID, Key.CUSTOMER_ID, Key.SUBSCRIPTION_ID,
              Key.INVOICE_NUMBER, Key.PAYMENT_ID)
"""The key kinds the console offers to search by, in the order it lists them."""


def required_key(run: FlowInput, key: Key) -> str:
    """The event's ``key``; a signed but malformed event that does not name it (a webhook
    whose object has no id) becomes a data-quality exception naming the key, for integration
    engineering, instead of stopping the flow on a bug."""
    found = run.keys.get(key.value)
    if not isinstance(found, str) or not found:
        raise DataQualityError(key.value, "the event does not name it (a malformed event)",
                               owner=Team.INTEGRATION_ENGINEERING, system=run.system)
    return found


__all__ = ["LEGACY", "SEARCHABLE", "Key", "required_key"]
