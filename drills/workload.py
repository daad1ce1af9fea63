"""The drill workload, made of real vendor data, and the verdict against NetSuite.

Before a drill the customers exist as a company's would: deals won in Salesforce (the
demo's seeding, :mod:`accord.demo.seeding`), which accord's own closed-won flow turned into
Stripe customers and subscriptions and NetSuite customers. The workload is then ``events``
invoices created in the Stripe sandbox with the official ``stripe`` client (an invoice item
on a catalog price, a quantity drawn at random, the invoice finalized), each announced by
the ``invoice.finalized`` event Stripe records for it: the events a drill's sender delivers
to ``POST /hooks/stripe`` are Stripe's own ``/v1/events`` envelopes. The product's
invoice-posting flow must post each invoice to NetSuite exactly once with its amount.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx

import stripe
from accord.demo.scenario import PaymentBehaviour, Scenario, generate
from accord.flows.identities import invoice_id_for

BILLING = "stripe"
SKU = "BW-ONBOARD"
"""The catalog item every workload invoice bills: a one-time price (an invoice item takes
no recurring price), published to Stripe by accord's product sync."""


def scenario(customers: int, seed: int = 7) -> Scenario:
    """``customers`` good US deals of the demo's generated month (no planted defect, no
    amendment, renewal, usage or refund: the drill's trouble is its own), closing now."""
    month = datetime.now(UTC).strftime("%Y-%m")
    full = generate(seed, max(8, customers * 2 + 16), month)
    bad = {a.ref for a in full.accounts if a.defect is not None}
    dealt = {d.account_ref for d in full.deals if d.defect is None}
    accounts = [a for a in full.accounts
                if a.legal_entity == "US01" and a.ref not in bad and a.ref in dealt]
    accounts = accounts[:customers]
    if len(accounts) < customers:
        raise ValueError(f"customers: the scenario has only {len(accounts)} clean US accounts")
    wanted = {a.ref for a in accounts}
    today = datetime.now(UTC).date()
    deals = tuple(d.model_copy(update={
        "payment": PaymentBehaviour.PAYS, "amendment": None, "renewal": False,
        "usage_units": 0, "refund": False, "close_date": today, "start_date": today,
        "lines": tuple(line for line in d.lines if line.sku != "BW-API-CALLS")})
        for d in full.deals if d.account_ref in wanted and d.defect is None)
    return full.model_copy(update={"accounts": tuple(accounts), "deals": deals})


@dataclass(frozen=True)
class Expected:
    """One workload invoice: Stripe's id, the canonical id NetSuite's invoice carries as
    its external id, and the amount the drill billed (quantity x unit price)."""

    stripe_id: str
    canonical_id: str
    amount: Decimal
    customer: str


@dataclass
class Workload:
    invoices: list[Expected]
    events: list[dict[str, Any]]
    """Stripe's event envelopes the webhook endpoint would be sent, oldest first."""
    known: set[str] = field(default_factory=set)
    """Canonical ids of the invoices posted while setting up (the subscriptions' first)."""


def create_invoices(client: stripe.StripeClient, customers: Sequence[str], price: str,
                    unit_amount: Decimal, count: int, *, seed: int = 7, threads: int = 4,
                    on_progress: Callable[[int], None] | None = None) -> list[Expected]:
    """``count`` invoices over ``customers``: an invoice item of ``price`` (``quantity`` 1 to
    40), the invoice created to be sent (no automatic charge) and finalized."""
    rng = random.Random(seed)
    plan = [(rng.choice(customers), rng.randint(1, 40)) for _ in range(count)]
    done = [0]
    lock = threading.Lock()

    def one(item: tuple[str, int]) -> Expected:
        customer, quantity = item
        client.v1.invoice_items.create(params={"customer": customer, "price": price,
                                               "quantity": quantity})
        invoice = client.v1.invoices.create(params={
            "customer": customer, "collection_method": "send_invoice", "days_until_due": 30,
            "pending_invoice_items_behavior": "include", "auto_advance": False})
        assert invoice.id is not None
        client.v1.invoices.finalize_invoice(invoice.id)
        with lock:
            done[0] += 1
            if on_progress:
                on_progress(done[0])
        return Expected(invoice.id, invoice_id_for(BILLING, invoice.id),
                        unit_amount * quantity, customer)

    # one customer's invoices one at a time: pending items belong to the next invoice
    by_customer: dict[str, list[tuple[str, int]]] = {}
    for item in plan:
        by_customer.setdefault(item[0], []).append(item)

    def customer_run(items: list[tuple[str, int]]) -> list[Expected]:
        return [one(item) for item in items]

    with ThreadPoolExecutor(threads) as pool:
        runs = list(pool.map(customer_run, by_customer.values()))
    made = {e.stripe_id: e for found in runs for e in found}
    return sorted(made.values(), key=lambda e: e.stripe_id)


def events_since(credentials: Mapping[str, str], since: int, types: Iterable[str]
                 ) -> list[dict[str, Any]]:
    """Stripe's events of ``types`` created at or after ``since``, oldest first, each the
    JSON object Stripe's ``GET /v1/events`` returns - the body a webhook carries."""
    wanted = set(types)
    found: list[dict[str, Any]] = []
    after: str | None = None
    with httpx.Client(base_url=credentials["base_url"], timeout=60, headers={
            "Authorization": f"Bearer {credentials['api_key']}"}) as http:
        while True:
            params: dict[str, Any] = {"limit": 100, "created[gte]": since}
            if after:
                params["starting_after"] = after
            page = http.get("/v1/events", params=params)
            page.raise_for_status()
            body = page.json()
            found += [e for e in body["data"] if "*" in wanted or e["type"] in wanted]
            if not body.get("has_more") or not body["data"]:
                break
            after = str(body["data"][-1]["id"])
    found.sort(key=lambda e: (int(e["created"]), str(e["id"])))
    return found


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


def verdict(workload: Workload, netsuite_invoices: list[dict[str, Any]], stuck: int,
            only: Mapping[str, Expected] | None = None) -> Verdict:
    """Compare NetSuite's invoices (SuiteQL rows: externalid, foreigntotal) with the
    workload: each expected invoice once, with its amount; nothing else besides the
    invoices posted while setting up. ``only`` narrows what is expected."""
    expected = only if only is not None else {e.canonical_id: e for e in workload.invoices}
    seen: dict[str, int] = {}
    result = Verdict(expected=len(expected), stuck=stuck)
    for row in netsuite_invoices:
        key = str(row.get("externalid") or "")
        seen[key] = seen.get(key, 0) + 1
        if key in expected and Decimal(str(row["foreigntotal"])) != expected[key].amount:
            result.wrong_amount.append(key)
    result.found = sum(1 for key in seen if key in expected)
    result.lost = sorted(key for key in expected if key not in seen)
    everyone = {e.canonical_id for e in workload.invoices} | workload.known
    result.doubled = sorted(key for key, count in seen.items()
                            if count > 1 or key not in everyone)
    return result
