"""A scenario month played against the running service from outside, as the company's
systems and people would play it: only through the vendors' public APIs (Salesforce with
``simple-salesforce``, HubSpot with ``hubspot-api-client``, Stripe with ``stripe``), the
sandboxes' control planes (faults, like a flaky network) and accord's own operations API
(usage from the product's metering, "run now" for the product sync an admin kicks off, and
reading how the flows went).

Intake is production's: Stripe webhooks to ``/hooks/stripe``, CRM deals and accounts
through the scheduled polls. The sales teams (:mod:`accord.demo.sales`) work in one CRM or
two, each account in its home CRM. Phases:

1. the product master sync (``POST /v1/schedules/products.sync/run``);
2. the sales teams' accounts and deals, entered in their CRMs; faults turned on (NetSuite
   throttling and a short outage, duplicate and out-of-order Stripe webhooks);
3. deals won (the probable duplicate's last, then the second team's deal with a customer
   both teams sell to); accord creates customers, subscriptions and posts the first
   invoices;
4. customers pay their invoices with their cards (some decline); those who declined and
   then pay come back with a working card;
5. amendments and renewals won in the CRMs; a refund issued in Stripe;
6. usage reported by the product, the usage customers' periods closed (Stripe test
   clocks advanced), renewal invoices paid;
7. a catch-up poll of Stripe's events, then the summary.

After each phase the demo waits until accord is idle: every won deal seen by a poll, no
flow running, nothing waiting in the inbox and every webhook delivered, twice in a row.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

import httpx

import stripe
from accord.demo.catalog import CATALOG_BY_SKU
from accord.demo.sales import Change, Sales
from accord.demo.scenario import Defect, LinePlan, PaymentBehaviour, Scenario
from accord.demo.seeding import CARDS, extra_skus

Progress = Callable[[str, int, int], None]
"""(phase, done, total)"""

EVENTS_POLL = "poll.stripe.events"
PRODUCTS_SYNC = "products.sync"
SETTLE_TIMEOUT = 1800.0
WORKING_CARD = "pm_card_visa"


class Stuck(RuntimeError):
    """accord did not become idle in time: the message says what was still going on."""


@dataclass
class Outside:
    """The demo's hands: accord's API, the sales teams' CRMs, Stripe and the sandboxes'
    controls."""

    api: httpx.Client
    sales: Sales
    stripe: stripe.StripeClient
    controls: dict[str, str]
    """sandbox name -> base URL (control plane under ``/__sandbox``)"""


def stripe_client(credentials: dict[str, str]) -> stripe.StripeClient:
    return stripe.StripeClient(credentials["api_key"],
                               base_addresses={"api": credentials["base_url"]},
                               max_network_retries=5)


# -- watching accord ------------------------------------------------------------------------
def _now() -> datetime:
    return datetime.now(UTC)


def flow_summary(out: Outside) -> dict[str, Any]:
    answer = out.api.get("/v1/flows")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def schedules(out: Outside) -> dict[str, Any]:
    answer = out.api.get("/v1/schedules")
    answer.raise_for_status()
    found: dict[str, Any] = answer.json()
    return found


def _webhooks_pending(out: Outside) -> int:
    with httpx.Client(timeout=30) as http:
        view = http.get(f"{out.controls['stripe']}/__sandbox/stripe/webhooks").json()
    return int(view["pending"])


def _polled_since(found: dict[str, Any], names: Iterable[str], since: datetime) -> bool:
    for name in names:
        run = found.get(name) or {}
        last = run.get("last_run")
        if last is None or run.get("last_outcome") == "running":
            return False
        if datetime.fromisoformat(last) < since:
            return False
    return True


def finished(summary: dict[str, Any]) -> int:
    return sum(sum(counts.values()) for counts in summary["flows"].values())


def settle(out: Outside, progress: Progress, phase: str, *, since: datetime | None = None,
           polls: Iterable[str] = (), interval: float = 1.0,
           timeout: float = SETTLE_TIMEOUT) -> None:
    """Wait until accord is idle twice in a row: ``polls`` have run since ``since``, no flow
    runs, the inbox is drained and Stripe has delivered every webhook."""
    wanted = tuple(polls)
    moment = since or _now()
    started = time.monotonic()
    quiet = 0
    baseline = finished(flow_summary(out))
    state = "starting"
    while quiet < 2:
        if time.monotonic() - started > timeout:
            raise Stuck(f"{phase}: accord still busy after {timeout:.0f} s ({state})")
        summary = flow_summary(out)
        polled = _polled_since(schedules(out), wanted, moment) if wanted else True
        pending = _webhooks_pending(out)
        done = finished(summary) - baseline
        progress(phase, done, done + summary["running"] + summary["inbox_backlog"] + pending)
        state = (f"{summary['running']} flows running, {summary['inbox_backlog']} events "
                 f"waiting, {pending} webhooks undelivered, polled: {polled}")
        idle = polled and summary["running"] == 0 and summary["inbox_backlog"] == 0 \
            and pending == 0
        quiet = quiet + 1 if idle else 0
        time.sleep(interval)


def run_schedule(out: Outside, name: str) -> datetime:
    """Fire a schedule now, as an operator would; returns when it was asked."""
    asked = _now() - timedelta(seconds=1)
    out.api.post(f"/v1/schedules/{name}/run").raise_for_status()
    return asked


# -- the company's side -----------------------------------------------------------------------
def turn_on_faults(out: Outside, now: datetime) -> None:
    with httpx.Client(timeout=30) as http:
        http.put(f"{out.controls['netsuite']}/__sandbox/faults", json={
            "concurrency_limit": 3,
            "outage_until": (now + timedelta(seconds=3)).isoformat()}).raise_for_status()
        http.put(f"{out.controls['stripe']}/__sandbox/stripe/webhooks",
                 json={"duplicate": True, "reverse_order": True}).raise_for_status()


def stripe_customers(out: Outside) -> dict[str, str]:
    """Scenario account ref -> the Stripe customer accord created, as accord wrote it back
    on the account in its home CRM."""
    return out.sales.billing_customers()


T = TypeVar("T")


def patiently(call: Callable[[], T], attempts: int = 8) -> T:
    """One Stripe call, waited out when the account's rate limit refuses it (the demo's
    customers share the test-mode limit with accord)."""
    for attempt in range(attempts):
        try:
            return call()
        except stripe.RateLimitError:
            if attempt == attempts - 1:
                raise
            time.sleep(min(5.0, 0.25 * 2 ** attempt))
    raise AssertionError("unreachable")


class Wallets:
    """Each paying customer's card in Stripe: attached once, used for every invoice."""

    def __init__(self, out: Outside) -> None:
        self.out = out
        self.cards: dict[tuple[str, str], str] = {}

    def card(self, customer: str, test_card: str) -> str:
        key = (customer, test_card)
        if key not in self.cards:
            method = patiently(lambda: self.out.stripe.v1.payment_methods.attach(
                test_card, params={"customer": customer}))
            self.cards[key] = str(method.id)
        return self.cards[key]

    def pay_open(self, customer: str, test_card: str) -> tuple[int, int]:
        """Pay every open invoice of ``customer`` with its card: (paid, declined)."""
        method = self.card(customer, test_card)
        paid = declined = 0
        v1 = self.out.stripe.v1
        listed = patiently(lambda: v1.invoices.list(params={"customer": customer,
                                                            "status": "open"}))
        for invoice in listed.data:
            try:
                patiently(functools.partial(v1.invoices.pay, invoice.id,
                                            params={"payment_method": method}))
                paid += 1
            except stripe.CardError:
                declined += 1
        return paid, declined


def pay_invoices(out: Outside, scenario: Scenario, wallets: Wallets, *,
                 recovered: set[str]) -> int:
    """Every customer pays what it was sent: with its card; those in ``recovered`` (deal
    refs) with a working one. Returns how many attempts were made."""
    customers = stripe_customers(out)
    attempts = 0
    for deal in scenario.deals:
        customer = customers.get(deal.account_ref)
        if customer is None:
            continue
        card = WORKING_CARD if deal.ref in recovered else CARDS[deal.payment]
        paid, declined = wallets.pay_open(customer, card)
        attempts += paid + declined
    return attempts


def win(out: Outside, scenario: Scenario, progress: Progress) -> None:
    """Win the deals in order, the probable duplicate's last (after the original exists),
    then the second team's deals with customers both teams sell to (a later sale to a
    known customer)."""
    duplicate = {a.ref for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE}
    accounts = {d.ref: d.account_ref for d in scenario.deals}
    for refs in ([d.ref for d in scenario.deals if d.account_ref not in duplicate],
                 [d.ref for d in scenario.deals if d.account_ref in duplicate]):
        since = _now()
        polls = out.sales.win(refs, accounts)
        settle(out, progress, "deals won", since=since, polls=polls)
    since = _now()
    polls = out.sales.win_shared()
    if polls:
        settle(out, progress, "deals won", since=since, polls=polls)


def change_deals(out: Outside, scenario: Scenario) -> list[str]:
    """The month's amendments (more seats) and renewals: new deals, won; the polls that
    will see them."""
    good = {d.ref for d in scenario.good_deals()}
    refs: list[str] = []
    accounts: dict[str, str] = {}
    for deal in scenario.deals:
        if deal.ref not in good:
            continue
        desk = out.sales.desk_of(deal.account_ref)
        if deal.amendment is not None:
            refs.append(f"{deal.ref}-AMEND")
            desk.team.seed_change(desk.seeded, deal, change=Change.UPGRADE, ref=refs[-1],
                                  lines=[(deal.amendment.sku, deal.amendment.quantity)],
                                  start=deal.amendment.effective,
                                  term_months=deal.term_months)
        if deal.renewal:
            refs.append(f"{deal.ref}-RENEW")
            start = deal.start_date + timedelta(days=30 * deal.term_months)
            desk.team.seed_change(desk.seeded, deal, change=Change.RENEWAL, ref=refs[-1],
                                  lines=[(line.sku, line.quantity) for line in deal.lines],
                                  start=start, term_months=12)
        accounts.update({ref: deal.account_ref for ref in refs if ref.startswith(deal.ref)})
    return out.sales.win(refs, accounts) if refs else []


def refund_one(out: Outside, scenario: Scenario) -> bool:
    """Half of the refundable customer's first payment, refunded in Stripe."""
    deal = next((d for d in scenario.deals if d.refund), None)
    customer = stripe_customers(out).get(deal.account_ref) if deal else None
    if customer is None:
        return False
    charges = patiently(lambda: out.stripe.v1.charges.list(params={"customer": customer})).data
    paid = [charge for charge in charges if charge.status == "succeeded"]
    if not paid:
        return False
    patiently(lambda: out.stripe.v1.refunds.create(params={
        "charge": paid[0].id, "amount": paid[0].amount // 2}))
    return True


def report_usage(out: Outside, scenario: Scenario) -> int:
    """The product's metering reports the month's usage to accord's API, naming each
    account by its id in its home CRM."""
    records = [{"id": record.ref, "account_id": out.sales.account_id(record.account_ref),
                "sku": record.sku, "quantity": str(Decimal(record.quantity)),
                "occurred_at": datetime.combine(record.occurred_on, datetime.min.time(),
                                                UTC).replace(hour=12).isoformat()}
               for record in scenario.usage()]
    for start in range(0, len(records), 500):
        out.api.post("/v1/usage", json={"records": records[start:start + 500]}
                     ).raise_for_status()
    return len(records)


def close_usage_periods(out: Outside, scenario: Scenario) -> int:
    """Advance each usage customer's Stripe test clock to the end of its current period:
    Stripe renews the subscription and bills the period's metered usage."""
    customers = stripe_customers(out)
    usage_accounts = sorted({record.account_ref for record in scenario.usage()})
    v1 = out.stripe.v1
    closed = 0
    for ref in usage_accounts:
        customer_id = customers.get(ref)
        if customer_id is None:
            continue
        closed += int(patiently(functools.partial(_close_period, v1, customer_id)))
    return closed


def _close_period(v1: Any, customer_id: str) -> bool:
    clock = v1.customers.retrieve(customer_id).test_clock
    live = [s for s in v1.subscriptions.list(params={"customer": customer_id}).data
            if s.status in ("active", "past_due", "trialing")]
    if not clock or not live:
        return False
    end = max(int(item.current_period_end) for item in live[0]["items"].data)
    v1.test_helpers.test_clocks.advance(str(clock), params={"frozen_time": end})
    return True


def list_price(sku: str, currency: str) -> LinePlan:
    return LinePlan(sku=sku, quantity=1, unit_price=CATALOG_BY_SKU[sku].prices[currency])


def run_month(out: Outside, scenario: Scenario, progress: Progress) -> None:
    progress("product master sync", 0, 1)
    since = run_schedule(out, PRODUCTS_SYNC)
    settle(out, progress, "product master sync", since=since, polls=(PRODUCTS_SYNC,))
    progress("seeding the CRMs", 0, 1)
    out.sales.seed(scenario, extra_skus(scenario), list_price)
    progress("seeding the CRMs", 1, 1)
    turn_on_faults(out, _now())
    win(out, scenario, progress)
    wallets = Wallets(out)
    if pay_invoices(out, scenario, wallets, recovered=set()):
        settle(out, progress, "customers pay")
    recovered = {d.ref for d in scenario.good_deals()
                 if d.payment is PaymentBehaviour.DECLINES_THEN_PAYS}
    if pay_invoices(out, scenario, wallets, recovered=recovered):
        settle(out, progress, "dunning recoveries")
    since = _now()
    polls = change_deals(out, scenario)
    if polls:
        settle(out, progress, "amendments and renewals", since=since, polls=polls)
    if refund_one(out, scenario):
        settle(out, progress, "refund")
    if report_usage(out, scenario):
        settle(out, progress, "usage reported")
        if close_usage_periods(out, scenario):
            settle(out, progress, "usage overages")
    if pay_invoices(out, scenario, wallets, recovered=recovered):
        settle(out, progress, "renewals paid")
    since = run_schedule(out, EVENTS_POLL)
    settle(out, progress, "catching up", since=since, polls=(EVENTS_POLL,))


__all__ = ["EVENTS_POLL", "Outside", "Progress", "Stuck", "flow_summary", "run_month", "settle",
           "stripe_client"]
