"""The drill workload: seeded invoices for seeded customers, each announced by a Stripe event
envelope, and the verdict against NetSuite."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from accord.canonical import Customer, Invoice, InvoiceLine, InvoiceStatus, Money

SYSTEM = "stripe"
EVENT_TYPE = "drill.invoice_ready"
"""A drill-only Stripe event type: no product flow handles it, so the drill's posting flow
(drills/posting_flow.py) is the only thing that acts on these deliveries."""


@dataclass(frozen=True)
class Workload:
    customers: dict[str, Customer]
    invoices: list[Invoice]

    def event(self, invoice: Invoice) -> dict[str, Any]:
        """The object the event carries: the invoice and its customer."""
        return {"invoice": invoice.model_dump(mode="json"),
                "customer": self.customers[invoice.customer_id].model_dump(mode="json")}

    def event_id(self, n: int) -> str:
        return f"evt_drill_{n:06d}"

    def envelope(self, n: int, created: datetime | None = None) -> dict[str, Any]:
        """Invoice ``n`` announced as a Stripe event, as Stripe's webhook body carries it."""
        at = created or datetime.now(UTC)
        return {"id": self.event_id(n), "object": "event", "type": EVENT_TYPE,
                "api_version": "2025-03-31.basil", "created": int(at.timestamp()),
                "livemode": False, "pending_webhooks": 1,
                "request": {"id": None, "idempotency_key": None},
                "data": {"object": self.event(self.invoices[n])}}


def generate(events: int, customers: int, seed: int = 7) -> Workload:
    rng = random.Random(seed)
    today = datetime.now(UTC).date()
    people = {}
    for n in range(customers):
        customer = Customer(legal_name=f"Drill Customer {seed}-{n:05d}", legal_entity="US01",
                            currency="USD")
        people[customer.id] = customer
    ids = list(people)
    invoices = []
    for n in range(events):
        cents = rng.randint(1_000, 500_000)
        amount = Money.from_minor_units(cents, "USD")
        invoices.append(Invoice(
            number=f"DRL-{seed}-{n:06d}", customer_id=rng.choice(ids), legal_entity="US01",
            currency="USD", status=InvoiceStatus.OPEN, issue_date=today,
            lines=(InvoiceLine(description="Drill subscription", product_sku="SUBSCRIPTION",
                               quantity=Decimal(1), unit_amount=amount, amount=amount),),
            subtotal=amount, tax_total=Money.zero("USD"), total=amount))
    return Workload(people, invoices)


@dataclass
class Verdict:
    expected: int
    found: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    wrong_amount: list[str] = field(default_factory=list)
    stuck: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.wrong_amount or self.stuck)

    def summary(self) -> dict[str, Any]:
        return {"expected": self.expected, "found": self.found, "lost": len(self.lost),
                "doubled": len(self.doubled), "wrong_amount": len(self.wrong_amount),
                "stuck": self.stuck, "ok": self.ok,
                "examples": {"lost": self.lost[:5], "doubled": self.doubled[:5],
                             "wrong_amount": self.wrong_amount[:5]}}


def verdict(workload: Workload, netsuite_invoices: list[dict[str, Any]], stuck: int) -> Verdict:
    """Compare NetSuite's invoices (SuiteQL rows: externalid, foreigntotal) with the workload."""
    expected = {inv.id: inv.total.amount for inv in workload.invoices}
    seen: dict[str, int] = {}
    result = Verdict(expected=len(expected), stuck=stuck)
    for row in netsuite_invoices:
        key = str(row.get("externalid") or "")
        seen[key] = seen.get(key, 0) + 1
        if key in expected and Decimal(str(row["foreigntotal"])) != expected[key]:
            result.wrong_amount.append(key)
    result.found = sum(1 for key in seen if key in expected)
    result.lost = sorted(key for key in expected if key not in seen)
    result.doubled = sorted(key for key, count in seen.items() if count > 1 or key not in expected)
    return result
