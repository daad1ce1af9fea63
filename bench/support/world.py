"""The vendors a benchmark run works against: a Stripe and a NetSuite sandbox (fresh per run,
in the harness's process or in a process of their own), seeded the way accord's closed-won flow
leaves them.

Before the timed part each run seeds, through the vendors' APIs: one customer per workload
customer in Stripe and in NetSuite (NetSuite's keyed by accord's canonical customer id, as the
closed-won flow posts it), and one finalized Stripe invoice per workload invoice (an invoice
item of the workload's amount, then ``POST /v1/invoices`` and ``finalize``). The events a
run then delivers are ``invoice.finalized`` events carrying those invoices; posting one
means reading the invoice back from Stripe (``GET /v1/invoices/{id}``) and upserting it in
NetSuite under the customer it belongs to.

Each peer of the peers bench knows which NetSuite customer a Stripe customer is in its own
way: accord through its identity registry (seeded here: the links and golden record
closed-won writes), the glue peers through a customer map file (``customers.json``: Stripe
customer id to NetSuite external id), as a script's onboarding step would leave it.

    python bench/support/world.py DIRECTORY    # the sandboxes alone; used by World.start_process
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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


def start_sandboxes(directory: Path) -> tuple[RunningSandbox, RunningSandbox]:
    """The Stripe sandbox without its test-mode rate limit (25/s would cap every invoice
    read): a live account's 100/s, which accord's limiter is told (``accord_service``); and
    a NetSuite sandbox."""
    return (start_in_thread(STRIPE, SandboxOptions(data_dir=directory / "stripe",
                                                   settings={"rate_limit": 0})),
            start_in_thread(NETSUITE, SandboxOptions(data_dir=directory / "netsuite")))


def credentials_of(stripe_sandbox: RunningSandbox,
                   netsuite: RunningSandbox) -> dict[str, dict[str, str]]:
    return {"stripe": {**stripe_sandbox.credentials(), "base_url": stripe_sandbox.base_url},
            "netsuite": {**netsuite.credentials(), "base_url": netsuite.base_url}}


@dataclass
class World:
    """The two sandboxes of a run, by their credentials (each with its ``base_url``)."""

    stripe_credentials: dict[str, str]
    netsuite_credentials: dict[str, str]
    _stop: Callable[[], None]
    pid: int | None = None
    """The sandboxes' own process, when they run in one (:meth:`start_process`)."""

    @classmethod
    def start(cls, directory: Path) -> World:
        """The sandboxes in threads of this process."""
        running = start_sandboxes(directory)
        found = credentials_of(*running)

        def stop() -> None:
            for sandbox in running:
                sandbox.stop()

        return cls(found["stripe"], found["netsuite"], stop)

    @classmethod
    def start_process(cls, directory: Path) -> World:
        """The sandboxes in a process of their own (their CPU then does not compete with
        the harness's for one interpreter lock); it ends when :meth:`stop` closes its stdin,
        or when this process dies."""
        proc = subprocess.Popen([sys.executable, __file__, str(directory)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                start_new_session=True)
        assert proc.stdout is not None
        assert proc.stdin is not None
        line = proc.stdout.readline()
        if not line:
            proc.wait()
            raise RuntimeError(f"the sandboxes' process ended at start (exit {proc.returncode})")
        found = json.loads(line)

        def stop() -> None:
            if proc.stdin is not None and not proc.stdin.closed:
                proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

        return cls(found["stripe"], found["netsuite"], stop, proc.pid)

    def stop(self) -> None:
        self._stop()

    @property
    def netsuite_url(self) -> str:
        return self.netsuite_credentials["base_url"]

    def netsuite_settings(self) -> NetSuiteSettings:
        return NetSuiteSettings(**self.netsuite_credentials)

    def env(self) -> dict[str, str]:
        """The variables the glue peers read their vendor settings from."""
        ns = {f"ACCORD_NETSUITE_{key.upper()}": value
              for key, value in self.netsuite_credentials.items()}
        return {**ns, "BENCH_STRIPE_URL": self.stripe_credentials["base_url"],
                "BENCH_STRIPE_KEY": self.stripe_credentials["api_key"]}

    def stripe_client(self) -> stripe.StripeClient:
        return stripe.StripeClient(self.stripe_credentials["api_key"],
                                   base_addresses={"api": self.stripe_credentials["base_url"]},
                                   max_network_retries=2)

    def seed(self, customers: list[tuple[str, str]], invoices: list[tuple[str, int]],
             *, threads: int = 1) -> Seeded:
        """``customers``: (bench key, name); ``invoices``: (bench customer key, cents).
        With ``threads`` > 1 the invoices are made by that many threads, each for its own
        customers (a customer's pending invoice items must not be swept into an invoice
        another thread is making for it); the result keeps the order of ``invoices``."""
        client = self.stripe_client()
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
        shard_of = {key: n % max(threads, 1) for n, (key, _name) in enumerate(customers)}
        finalized: list[dict[str, Any] | None] = [None] * len(invoices)

        def make(shard: int) -> None:
            own = client if threads <= 1 else self.stripe_client()
            for n, (key, cents) in enumerate(invoices):
                if shard_of[key] != shard:
                    continue
                customer = stripe_of[key]
                own.v1.invoice_items.create(params={
                    "customer": customer, "currency": "usd", "amount": cents,
                    "description": "Bench subscription"})
                draft = own.v1.invoices.create(params={
                    "customer": customer, "pending_invoice_items_behavior": "include",
                    "metadata": {"legal_entity": LEGAL_ENTITY}})
                made = own.v1.invoices.finalize_invoice(draft.id).to_dict()
                # as Stripe sends it: the client library parses decimal strings into Decimal
                finalized[n] = json.loads(json.dumps(made, default=str))

        if threads <= 1:
            make(0)
        else:
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(make, range(threads)))
        return Seeded([invoice for invoice in finalized if invoice is not None], mapped,
                      names, internal)


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


def serve(directory: Path) -> None:
    """Serve the sandboxes; print their credentials as one JSON line; run until stdin closes
    (the harness stopped or died), SIGTERM or SIGINT."""
    import logging

    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    logging.disable(logging.WARNING)
    running = start_sandboxes(directory)
    print(json.dumps(credentials_of(*running)), flush=True)
    threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
    stop.wait()
    for sandbox in running:
        sandbox.stop()


__all__ = ["LEGAL_ENTITY", "Seeded", "World", "link_in_registry", "write_customer_map"]


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
