"""What every system reader offers the reconciliation plan."""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Protocol

from accord.reconcile.matcher import RecordView
from accord.reconcile.totals import Contribution

# Subsidiary by currency when a document does not say (the bundled NetSuite reference data).
DEFAULT_SUBSIDIARIES = {"USD": "US01", "EUR": "DE01", "JPY": "JP01"}


class Entity(StrEnum):
    CUSTOMER = "customer"
    INVOICE = "invoice"
    PAYMENT = "payment"
    REFUND = "refund"
    SUBSCRIPTION = "subscription"


class Reader(Protocol):
    system: str

    def records(self, entity: Entity) -> Iterator[RecordView]:
        """Every record of ``entity`` this system holds (in the reader's period)."""

    def contributions(self) -> Iterator[Contribution]:
        """Every document's contribution to the control totals (in the reader's period)."""


__all__ = ["DEFAULT_SUBSIDIARIES", "Entity", "Reader"]
