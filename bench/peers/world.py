"""The vendors every peer works against in one run: a Stripe and a NetSuite sandbox (fresh
per run, in the harness's process), seeded the way accord's closed-won flow leaves them.

Before the timed part each run seeds, through the vendors' APIs: one customer per workload
customer in Stripe and in NetSuite (NetSuite's keyed by accord's canonical customer id, as the
closed-won flow posts it), and one finalized Stripe invoice per workload invoice (an invoice
item of the workload's amount, then ``POST /v1/invoices`` and ``finalize``). The events every
peer then receives are ``invoice.finalized`` events carrying those invoices; posting one
means, for every peer, reading the invoice back from Stripe (``GET /v1/invoices/{id}``) and
upserting it in NetSuite under the customer it belongs to.

Each peer knows which NetSuite customer a Stripe customer is in its own way: accord through
its identity registry (seeded here for the accord peer: the links and golden record closed-won
writes), the glue peers through a customer map file (``customers.json``: Stripe customer id to
NetSuite external id), as a script's onboarding step would leave it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import stripe
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.mapping import customer_to_netsuite
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE

LEGAL_ENTITY = "US01"


@dataclass(frozen=True)
class Seeded:
    """What one run's vendors hold before the first event."""

    invoices: list[dict[str, Any]]
    """The finalized Stripe invoices, in workload order, as Stripe returned them."""
    customers: dict[str, str]
    """Stripe customer id -> NetSuite external id (accord's canonical customer id)."""
    names: dict[str, str]
    """Stripe customer id -> the customer's name."""
    netsuite_ids: dict[str, str]
    """Canonical customer id -> NetSuite internal id."""

    def total(self, invoice: dict[str, Any]) -> Decimal:
        return Decimal(int(invoice["total"])).scaleb(-2)


@dataclass
class World:
    stripe: RunningSandbox
    netsuite: RunningSandbox

    @classmethod
    def start(cls, directory: Path) -> World:
        # the Stripe sandbox without its test-mode rate limit (25/s would cap every peer's
        # invoice reads): a live account's 100/s, which accord's limiter is told below
        return cls(start_in_thread(STRIPE, SandboxOptions(data_dir=directory / "stripe",
                                                          settings={"rate_limit": 0})),
                   start_in_thread(NETSUITE, SandboxOptions(data_dir=directory / "netsuite")))

    def stop(self) -> None:
        for running in (self.stripe, self.netsuite):
            running.stop()

    @property
    def stripe_credentials(self) -> dict[str, str]:
        return {**self.stripe.credentials(), "base_url": self.stripe.base_url}

    @property
    def netsuite_credentials(self) -> dict[str, str]:
        return {**self.netsuite.credentials(), "base_url": self.netsuite.base_url}

    def netsuite_settings(self) -> NetSuiteSettings:
        return NetSuiteSettings(**self.netsuite_credentials)

    def env(self) -> dict[str, str]:
        """The variables the glue peers read their vendor settings from."""
        ns = {f"ACCORD_NETSUITE_{key.upper()}": value
              for key, value in self.netsuite_credentials.items()}
        return {**ns, "BENCH_STRIPE_URL": self.stripe.base_url,
                "BENCH_STRIPE_KEY": self.stripe_credentials["api_key"]}

    def seed(self, customers: list[tuple[str, str]],
             invoices: list[tuple[str, int]]) -> Seeded:
        """``customers``: (bench key, name); ``invoices``: (bench customer key, cents)."""
        client = stripe.StripeClient(self.stripe_credentials["api_key"],
                                     base_addresses={"api": self.stripe.base_url},
                                     max_network_retries=2)
        refdata = load_refdata()
        stripe_of: dict[str, str] = {}
        mapped: dict[str, str] = {}
        names: dict[str, str] = {}
        internal: dict[str, str] = {}
        with NetSuiteClient(self.netsuite_settings()) as netsuite:
            for key, name in customers:
                canonical = Customer(id=derived_id(EntityType.CUSTOMER, "bench", key),
                                     legal_name=name, legal_entity=LEGAL_ENTITY,
                                     currency="USD")
                made = client.v1.customers.create(params={
                    "name": name, "metadata": {"legal_entity": LEGAL_ENTITY}})
                internal[canonical.id] = netsuite.upsert(
                    "customer", canonical.id, customer_to_netsuite(canonical, refdata))
                stripe_of[key] = made.id
                mapped[made.id] = canonical.id
                names[made.id] = name
        finalized = []
        for key, cents in invoices:
            customer = stripe_of[key]
            client.v1.invoice_items.create(params={
                "customer": customer, "currency": "usd", "amount": cents,
                "description": "Bench subscription"})
            draft = client.v1.invoices.create(params={
                "customer": customer, "pending_invoice_items_behavior": "include",
                "metadata": {"legal_entity": LEGAL_ENTITY}})
            made = client.v1.invoices.finalize_invoice(draft.id).to_dict()
            # as Stripe sends it: the client library parses decimal strings into Decimal
            finalized.append(json.loads(json.dumps(made, default=str)))
        return Seeded(finalized, mapped, names, internal)


def write_customer_map(path: Path, seeded: Seeded) -> None:
    path.write_text(json.dumps(seeded.customers))


def link_in_registry(database: Any, seeded: Seeded) -> None:
    """What closed-won leaves in accord's store for each customer: its Stripe and NetSuite
    links and its golden record."""
    from accord.registry.golden import GoldenRecords
    from accord.registry.ownership import load_policy
    from accord.registry.xref import Xrefs

    policy = load_policy()
    for stripe_id, canonical_id in seeded.customers.items():
        with database.session() as session:
            xrefs = Xrefs(session)
            xrefs.link(canonical_id, EntityType.CUSTOMER, "stripe", stripe_id)
            xrefs.link(canonical_id, EntityType.CUSTOMER, "netsuite",
                       seeded.netsuite_ids[canonical_id])
            customer = Customer(id=canonical_id, legal_name=seeded.names[stripe_id],
                                legal_entity=LEGAL_ENTITY, currency="USD")
            GoldenRecords(session, policy).merge(canonical_id, EntityType.CUSTOMER, "bench",
                                                 customer.model_dump(mode="json"))


__all__ = ["LEGAL_ENTITY", "Seeded", "World", "link_in_registry", "write_customer_map"]
