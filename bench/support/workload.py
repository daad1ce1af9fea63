"""The benchmarks' invoice workload: seeded Stripe ``invoice.finalized`` events and the verdict.

Every receiver (in the peers bench: the synchronous script, the Celery glue, accord; in the
latency bench: accord) receives Stripe event JSON for invoices seeded in a fresh Stripe
sandbox (``world.py``), in the same order (with the same duplicate deliveries when the run
asks for them), and must leave one NetSuite invoice per Stripe invoice, with the invoice's
total, under the customer it belongs to (seeded in NetSuite beforehand: a receiver that
created customers would double them). The verdict reads NetSuite back over SuiteQL and
compares by invoice number (``tranId``), so it does not depend on how a receiver chose its
external ids.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

EVENT_TYPE = "invoice.finalized"
@dataclass(frozen=True)
class Plan:
    """What a run seeds, the same for every peer: customers (bench key, name) and invoices
    (bench customer key, amount in cents)."""

    customers: list[tuple[str, str]]
    invoices: list[tuple[str, int]]
    seed: int


@dataclass(frozen=True)
class StripeInvoice:
    stripe_id: str
    number: str
    customer: str
    customer_name: str
    cents: int
    document: dict[str, Any]
    """The finalized invoice as Stripe returned it (what an ``invoice.finalized`` carries)."""

    @property
    def total(self) -> Decimal:
        return Decimal(self.cents).scaleb(-2)

    def event(self, sequence: int) -> dict[str, Any]:
        """The Stripe event announcing this invoice, shaped as Stripe sends it."""
        return {"id": f"evt_bench_{sequence:07d}", "object": "event", "type": EVENT_TYPE,
                "api_version": "2025-03-31.basil", "created": int(self.document["created"]),
                "livemode": False, "pending_webhooks": 1, "data": {"object": self.document}}


@dataclass(frozen=True)
class Workload:
    invoices: list[StripeInvoice]
    seed: int

    @classmethod
    def of(cls, plan: Plan, documents: list[dict[str, Any]],
           names: dict[str, str]) -> Workload:
        """The run's workload from the invoices seeded for ``plan`` (in plan order)."""
        return cls([StripeInvoice(stripe_id=str(doc["id"]), number=str(doc["number"]),
                                  customer=str(doc["customer"]),
                                  customer_name=names[str(doc["customer"])],
                                  cents=int(doc["total"]), document=doc)
                    for doc in documents], plan.seed)

    @property
    def customers(self) -> set[str]:
        return {invoice.customer for invoice in self.invoices}

    def events(self) -> list[dict[str, Any]]:
        return [invoice.event(n) for n, invoice in enumerate(self.invoices)]

    def deliveries(self, duplicate_every: int = 0) -> list[dict[str, Any]]:
        """The events in order; with ``duplicate_every`` = n, every n-th event is delivered a
        second time a little later (between 1 and 40 deliveries later), as a webhook sender
        whose first delivery timed out does."""
        events = self.events()
        if duplicate_every <= 0:
            return events
        rng = random.Random(self.seed * 31)
        out: list[dict[str, Any]] = []
        later: list[tuple[int, dict[str, Any]]] = []
        for n, event in enumerate(events):
            out.append(event)
            if n % duplicate_every == 0:
                later.append((n + rng.randint(1, 40), event))
            out.extend(e for due, e in later if due == n)
            later = [(due, e) for due, e in later if due != n]
        out.extend(e for _due, e in later)
        return out


def generate(events: int, customers: int, seed: int = 7) -> Plan:
    rng = random.Random(seed)
    people = [(f"{seed}x{n:05d}", f"Bench Customer {seed}-{n:05d}") for n in range(customers)]
    invoices = [(rng.choice(people)[0], rng.randint(1_000, 500_000)) for _ in range(events)]
    return Plan(people, invoices, seed)


@dataclass
class Verdict:
    expected: int
    found: int = 0
    lost: list[str] = field(default_factory=list)
    doubled: list[str] = field(default_factory=list)
    wrong_amount: list[str] = field(default_factory=list)
    customers_expected: int = 0
    customers_found: int = 0
    customers_doubled: int = 0

    @property
    def ok(self) -> bool:
        return not (self.lost or self.doubled or self.wrong_amount or self.customers_doubled
                    or self.customers_found != self.customers_expected)

    def summary(self) -> dict[str, Any]:
        return {"expected": self.expected, "found": self.found, "lost": len(self.lost),
                "doubled": len(self.doubled), "wrong_amount": len(self.wrong_amount),
                "customers_expected": self.customers_expected,
                "customers_found": self.customers_found,
                "customers_doubled": self.customers_doubled, "ok": self.ok,
                "examples": {"lost": self.lost[:5], "doubled": self.doubled[:5],
                             "wrong_amount": self.wrong_amount[:5]}}


def verdict(workload: Workload, invoices: Iterable[dict[str, Any]],
            customers: Iterable[dict[str, Any]]) -> Verdict:
    """Compare NetSuite's invoices (rows with ``tranid``, ``foreigntotal``) and customers
    (rows with ``companyname``) with the workload."""
    expected = {inv.number: inv.total for inv in workload.invoices}
    result = Verdict(expected=len(expected))
    seen: dict[str, int] = {}
    for row in invoices:
        number = str(row.get("tranid") or "")
        seen[number] = seen.get(number, 0) + 1
        if number in expected and Decimal(str(row["foreigntotal"])) != expected[number]:
            result.wrong_amount.append(number)
    result.found = sum(1 for number in seen if number in expected)
    result.lost = sorted(number for number in expected if number not in seen)
    result.doubled = sorted(n for n, count in seen.items() if count > 1 or n not in expected)
    names = {inv.customer_name for inv in workload.invoices}
    counts: dict[str, int] = {}
    for row in customers:
        name = str(row.get("companyname") or "")
        counts[name] = counts.get(name, 0) + 1
    result.customers_expected = len(names)
    result.customers_found = sum(1 for name in counts if name in names)
    result.customers_doubled = sum(count - 1 for name, count in counts.items() if name in names)
    return result


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95, p99, max and mean of ``values`` (seconds), in milliseconds."""
    if not values:
        return {}
    ordered = sorted(values)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]

    return {"p50_ms": round(at(0.50) * 1000, 1), "p95_ms": round(at(0.95) * 1000, 1),
            "p99_ms": round(at(0.99) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1),
            "mean_ms": round(sum(ordered) / len(ordered) * 1000, 1)}
