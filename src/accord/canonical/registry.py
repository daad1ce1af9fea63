"""The entity catalogue: each canonical entity type and its model class."""

from __future__ import annotations

from accord.canonical.base import Entity
from accord.canonical.billing import CreditNote, Invoice
from accord.canonical.catalog import Price, Product
from accord.canonical.contract import Contract
from accord.canonical.ids import EntityType
from accord.canonical.ledger import JournalEntry, RevenueSchedule
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, Refund
from accord.canonical.subscription import Subscription, UsageRecord

_MODELS: tuple[type[Entity], ...] = (
    Customer, Product, Price, Contract, Subscription, UsageRecord, Invoice, CreditNote,
    Payment, Refund, JournalEntry, RevenueSchedule,
)

ENTITIES: dict[EntityType, type[Entity]] = {model.entity_type: model for model in _MODELS}

__all__ = ["ENTITIES"]
