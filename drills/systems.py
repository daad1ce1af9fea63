"""Stripe and Salesforce on a drill's stage, and what every sandbox says about its limits.

A drill whose posting flow involves Stripe and Salesforce (drills/config.py) gets their
sandboxes in the drill process, over real HTTP (Salesforce over TLS), with the workload's
customers seeded in both before any worker starts: a Stripe customer per canonical customer
(``metadata.accord_id``) and a Salesforce Account (``Accord_Id__c``). Their ids go to the
workers in the drill's configuration file.

Each sandbox counts the requests it refused for a published limit:

* Stripe, ``GET /__sandbox/stripe/limits``: 429s, the moment of the first, the busiest
  one-second window of admitted requests;
* Salesforce, ``GET /__sandbox/salesforce/limits``: 403 ``REQUEST_LIMIT_EXCEEDED`` per limit
  (concurrent, daily), the moment of the first, peak concurrency, daily requests used;
* NetSuite, ``GET /__sandbox/netsuite/governance``: 429s and peak concurrency. That endpoint
  has no moment of the first refusal, so :class:`RefusalWatch` polls it twice a second.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from config import POSTED_INVOICE

from accord.canonical import Customer
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.settings import SalesforceSettings
from accord.connectors.stripe.client import Kind, StripeClient
from accord.connectors.stripe.settings import StripeSettings
from accord.resilience import LocalGate, RateLimiter
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE


@dataclass(frozen=True)
class SystemsSetup:
    """The systems a drill's flow involves and the limits their sandboxes enforce."""

    systems: tuple[str, ...] = ("netsuite",)
    limiters: bool = True
    stripe_rate: float = 25.0
    """Stripe's test-mode limit, requests per second (the sandbox's default)."""
    salesforce_concurrency: int = 5
    """A Developer Edition org's concurrent long-running request limit."""
    salesforce_daily: int = 15_000
    """A Developer Edition org's API requests per 24 hours."""
    salesforce_latency_ms: int = 0
    stripe_accord_rate: float | None = None
    """accord's own Stripe rate (None: the engine's default, 80 % of the published limit)."""

    def involves(self, system: str) -> bool:
        return system in self.systems


# -- the sandboxes ------------------------------------------------------------------------
@dataclass
class VendorSandboxes:
    """The Stripe and Salesforce sandboxes (those the setup involves), seeded."""

    setup: SystemsSetup
    stripe: RunningSandbox | None = None
    salesforce: RunningSandbox | None = None
    accounts: dict[str, dict[str, str]] = field(default_factory=dict)

    def start(self, directory: Path, customers: Mapping[str, Customer]) -> None:
        if self.setup.involves("stripe") or self.setup.involves("salesforce"):
            self.accounts = {customer_id: {} for customer_id in customers}
        if self.setup.involves("stripe"):
            self.stripe = start_in_thread(STRIPE, SandboxOptions(
                data_dir=directory / "stripe", settings={"rate_limit": self.setup.stripe_rate}))
            self._seed_stripe(customers)
        if self.setup.involves("salesforce"):
            self.salesforce = start_in_thread(SALESFORCE,
                                              SandboxOptions(data_dir=directory / "salesforce"))
            self._seed_salesforce(customers)

    def stop(self) -> None:
        if self.stripe is not None:
            self.stripe.stop()
        if self.salesforce is not None:
            self.salesforce.stop()

    # -- settings -------------------------------------------------------------------------
    def env(self) -> dict[str, str]:
        """``ACCORD_STRIPE_*`` and ``ACCORD_SALESFORCE_*`` for the workers."""
        found: dict[str, str] = {}
        if self.stripe is not None:
            creds = self.stripe.credentials()
            found |= {"ACCORD_STRIPE_BASE_URL": creds["base_url"],
                      "ACCORD_STRIPE_API_KEY": creds["api_key"]}
        if self.salesforce is not None:
            creds = self.salesforce.credentials()
            found |= {"ACCORD_SALESFORCE_INSTANCE_URL": creds["instance_url"],
                      "ACCORD_SALESFORCE_SESSION_ID": creds["session_id"],
                      "ACCORD_SALESFORCE_CA_CERT": creds["ca_cert"]}
        return found

    def stripe_client(self) -> StripeClient:
        assert self.stripe is not None
        creds = self.stripe.credentials()
        return StripeClient(StripeSettings(base_url=creds["base_url"],
                                           api_key=creds["api_key"]),
                            limiter=RateLimiter(None))

    @contextmanager
    def salesforce_client(self) -> Iterator[SalesforceClient]:
        """A client whose connections are closed afterwards (so the sandbox can stop)."""
        assert self.salesforce is not None
        creds = self.salesforce.credentials()
        client = SalesforceClient(SalesforceSettings(
            instance_url=creds["instance_url"], session_id=creds["session_id"],
            ca_cert=creds["ca_cert"]), gate=LocalGate(None))
        try:
            yield client
        finally:
            client.session.close()

    def control(self, sandbox: RunningSandbox) -> httpx.Client:
        verify = sandbox.credentials().get("ca_cert", True)
        return httpx.Client(base_url=f"{sandbox.base_url}/__sandbox", verify=verify,
                            timeout=30)

    # -- seeding --------------------------------------------------------------------------
    def _seed_stripe(self, customers: Mapping[str, Customer]) -> None:
        """One Stripe customer per canonical customer, with the rate limit lifted while
        seeding (a fixture, not the drill); then a second for the seeding to leave the
        limit's window, and its figures forgotten."""
        assert self.stripe is not None
        with self.control(self.stripe) as control:
            control.put("/faults", json={"rate_limit_per_second": 0}).raise_for_status()
            client = self.stripe_client()
            for customer in customers.values():
                self.accounts[customer.id]["stripe"] = str(client.create_customer(customer)["id"])
            control.delete("/faults").raise_for_status()
            time.sleep(1.0)
            control.post("/stripe/limits/reset").raise_for_status()

    def _seed_salesforce(self, customers: Mapping[str, Customer]) -> None:
        """An Account per customer (sObject Collections, 200 a call, counted in the daily
        allocation), under the setup's org limits; figures forgotten afterwards."""
        assert self.salesforce is not None
        with self.control(self.salesforce) as control:
            control.put("/salesforce/limits", json={
                "daily_api_requests": self.setup.salesforce_daily, "used": 0,
                "concurrent_long_running": self.setup.salesforce_concurrency,
            }).raise_for_status()
            ordered = list(customers.values())
            with self.salesforce_client() as client:
                results = client.create_many("Account", [
                    {"Name": c.legal_name, "Accord_Id__c": c.id,
                     "Legal_Entity__c": c.legal_entity, "CurrencyIsoCode": c.currency,
                     "Stripe_Customer_Id__c": self.accounts[c.id].get("stripe")}
                    for c in ordered])
            for customer, result in zip(ordered, results, strict=True):
                if not result.success or result.id is None:
                    raise RuntimeError(f"Account for {customer.id} not created: {result.error}")
                self.accounts[customer.id]["salesforce"] = result.id
            if self.setup.salesforce_latency_ms:
                control.put("/faults", json={"latency_ms": self.setup.salesforce_latency_ms}
                            ).raise_for_status()
            control.post("/salesforce/limits/reset").raise_for_status()

    # -- reading back ---------------------------------------------------------------------
    def figures(self) -> dict[str, dict[str, Any]]:
        """The raw limit figures of the Stripe and Salesforce sandboxes."""
        found: dict[str, dict[str, Any]] = {}
        for name, sandbox, path in (("stripe", self.stripe, "/stripe/limits"),
                                    ("salesforce", self.salesforce, "/salesforce/limits")):
            if sandbox is not None:
                with self.control(sandbox) as control:
                    found[name] = control.get(path).json()
        return found

    def unrecorded(self, invoices_of: Mapping[str, set[str]],
                   netsuite_ids: Mapping[str, str]) -> dict[str, list[str]]:
        """Customers with invoices whose Stripe metadata does not name one of their invoices,
        or whose Salesforce Account does not carry their NetSuite id and ``Synced``."""
        found: dict[str, list[str]] = {}
        if self.stripe is not None:
            metadata = {str(c["metadata"].get("accord_id")): c["metadata"]
                        for c in self.stripe_client().iterate(Kind.CUSTOMERS)}
            found["stripe"] = sorted(
                customer for customer, numbers in invoices_of.items()
                if metadata.get(customer, {}).get(POSTED_INVOICE) not in numbers)
        if self.salesforce is not None:
            with self.salesforce_client() as client:
                accounts = {str(a["Accord_Id__c"]): a for a in client.query(
                    "SELECT Accord_Id__c, NetSuite_Customer_Id__c, Billing_Status__c "
                    "FROM Account")}
            found["salesforce"] = sorted(
                customer for customer in invoices_of
                if (accounts.get(customer, {}).get("NetSuite_Customer_Id__c"),
                    accounts.get(customer, {}).get("Billing_Status__c"))
                != (netsuite_ids.get(customer), "Synced"))
        return found


# -- NetSuite's first refusal ---------------------------------------------------------------
class RefusalWatch:
    """Polls a refusal count (NetSuite's governance ``rejected``) and notes when it first
    grew: the moment of the first refusal, to half a second."""

    def __init__(self, read: Callable[[], int], interval: float = 0.5) -> None:
        self.read = read
        self.interval = interval
        self.first_at: datetime | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="refusal-watch")
        self._thread.start()

    def _run(self) -> None:
        while self.first_at is None and not self._stop.wait(self.interval):
            try:
                if self.read() > 0:
                    self.first_at = datetime.now(UTC)
            except httpx.HTTPError:
                continue

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


# -- one view of the three -------------------------------------------------------------------
def seconds_after(began: datetime, moment: str | datetime | None) -> float | None:
    if moment is None:
        return None
    at = moment if isinstance(moment, datetime) else datetime.fromisoformat(moment)
    return round((at - began).total_seconds(), 1)


def stripe_limits(raw: Mapping[str, Any], began: datetime) -> dict[str, Any]:
    return {"limit": f"{raw['rate_limit_per_second']:g} requests/s",
            "refused": raw["refused"], "refused_after_first": raw["refused_after_first"],
            "first_refusal_s": seconds_after(began, raw["first_refused_at"]),
            "last_refusal_s": seconds_after(began, raw["last_refused_at"]),
            "peak": f"{raw['peak_second']} requests in the busiest second",
            "admitted": raw["admitted"]}


def salesforce_limits(raw: Mapping[str, Any], began: datetime) -> dict[str, Any]:
    return {"limit": f"{raw['concurrent_limit']} concurrent, "
                     f"{raw['daily_api_requests']:,} requests/24 h",
            "refused": raw["refused"], "refused_after_first": raw["refused_after_first"],
            "refused_concurrent": raw["refused_concurrent"],
            "refused_daily": raw["refused_daily"],
            "first_refusal_s": seconds_after(began, raw["first_refused_at"]),
            "last_refusal_s": seconds_after(began, raw["last_refused_at"]),
            "peak": f"{raw['peak_concurrency']} at once ({raw['peak_admitted']} admitted)",
            "daily_used": raw["used"], "daily_allocation": raw["daily_api_requests"]}


def netsuite_limits(raw: Mapping[str, Any], began: datetime,
                    first_at: datetime | None) -> dict[str, Any]:
    refused = int(raw["rejected"])
    return {"limit": f"{raw['limit']} concurrent", "refused": refused,
            "refused_after_first": max(0, refused - 1),
            "first_refusal_s": seconds_after(began, first_at),
            "peak": f"{raw['peak']} at once ({raw['peak_admitted']} admitted)",
            "admitted": raw["admitted"]}


def limit_checks(limits: Mapping[str, Mapping[str, Any]]) -> tuple[dict[str, bool], list[str]]:
    """Every system: no refusal after the first; Salesforce: the run fit in the daily
    allocation. Returns the checks and, for each failed one, a line naming the figures."""
    checks: dict[str, bool] = {}
    failures: list[str] = []
    for system, found in limits.items():
        name = f"{system}: no refusal after the first"
        checks[name] = found["refused_after_first"] == 0
        if not checks[name]:
            failures.append(
                f"{system} refused {found['refused']} requests for its limit ({found['limit']})"
                f": {found['refused_after_first']} after the first, which came at "
                f"{found['first_refusal_s']} s; peak {found['peak']}")
    if "salesforce" in limits:
        found = limits["salesforce"]
        name = "salesforce: daily requests within the allocation"
        checks[name] = (found["daily_used"] <= found["daily_allocation"]
                        and found["refused_daily"] == 0)
        if not checks[name]:
            failures.append(f"salesforce used {found['daily_used']:,} of "
                            f"{found['daily_allocation']:,} daily requests, "
                            f"{found['refused_daily']} refused for the allocation")
    return checks, failures


__all__ = ["RefusalWatch", "SystemsSetup", "VendorSandboxes", "limit_checks",
           "netsuite_limits", "salesforce_limits", "stripe_limits"]
