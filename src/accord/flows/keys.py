"""The business keys flows note on their traces: the words the timeline is searched by and
the KPIs count entities by. Readers (the API, the console, reconciliation) import these;
none spells a key of its own.

A key names one record a trace concerns. Keys of accord's own records hold canonical ids
(``customer_id``, ``invoice_id``, ``payment_id``); keys named after a system hold that
system's id for the inbound event's record (``stripe_invoice_id``, ``stripe_charge_id``).
"""

from __future__ import annotations

from enum import StrEnum


class Key(StrEnum):
    OPPORTUNITY_ID = "opportunity_id"  # the CRM deal: an order
    ACCOUNT_ID = "account_id"  # the CRM account
    CUSTOMER_ID = "customer_id"  # canonical customer
    SUBSCRIPTION_ID = "subscription_id"  # canonical subscription
    INVOICE_ID = "invoice_id"  # canonical invoice
    INVOICE_NUMBER = "invoice_number"  # the invoice's document number, as billing issued it
    PAYMENT_ID = "payment_id"  # canonical payment
    USAGE_ID = "usage_id"
    USAGE_RECORD_ID = "usage_record_id"
    SKU = "sku"
    STRIPE_INVOICE_ID = "stripe_invoice_id"
    STRIPE_CHARGE_ID = "stripe_charge_id"
    NETSUITE_CUSTOMER_ID = "netsuite_customer_id"


SEARCHABLE = (Key.OPPORTUNITY_ID, Key.ACCOUNT_ID, Key.CUSTOMER_ID, Key.SUBSCRIPTION_ID,
              Key.INVOICE_NUMBER, Key.PAYMENT_ID)
"""The key kinds the console offers to search by, in the order it lists them."""


__all__ = ["SEARCHABLE", "Key"]
