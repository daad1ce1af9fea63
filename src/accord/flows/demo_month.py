"""Running a scenario month through the flows with faults on, and summarising it.

The caller (``accord demo``) starts the sandboxes, the engine, the webhook endpoint and the
inbox pump; this module runs the product master sync, seeds Salesforce, turns the faults on
(NetSuite rate limiting and a short outage, duplicate and out-of-order Stripe webhooks),
wins the deals, waits until every flow has finished, runs the amendments and renewals,
refunds one payment, reports the month's usage and closes the usage customers' billing
periods (the renewal invoices carry the overage), re-runs the change polls (which must
change nothing) and reconciles.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from dbos import DBOS
from pydantic import BaseModel
from sqlalchemy import func, select

from accord.demo.scenario import Defect, PaymentBehaviour, Scenario
from accord.engine import FlowInput, run_flow
from accord.engine.dispatch import handler_for
from accord.engine.exceptions import ExceptionStatus
from accord.flows.account_sync import account_poller
from accord.flows.amendments import DealType
from accord.flows.intake import opportunity_poller, poll, stripe_events_poller
from accord.flows.product_sync import product_master_sync
from accord.flows.seeding import Seeded, payment_methods, seed_change, seed_scenario, win_deals
from accord.flows.stripe_events import STRIPE_EVENT_TYPES
from accord.flows.systems import Systems
from accord.flows.totals import jsonable_totals, reconcile
from accord.flows.usage import bill_usage
from accord.store import Database
from accord.store.models import ExceptionRecord, InboxEntry

Progress = Callable[[str, int, int], None]
"""(phase, done, total)"""

RUNNING = ("PENDING", "ENQUEUED")
CATCH_UP_SECONDS = 10.0


@dataclass(frozen=True)
class Controls:
    """Control-plane base URLs of the sandboxes and the webhook endpoint."""

    stripe: str
    netsuite: str
    webhook_url: str


class ExceptionLine(BaseModel):
    owner: str
    reason: str
    record: str | None
    step: str | None


class Summary(BaseModel):
    seed: int
    accounts: int
    month: str
    flows: dict[str, dict[str, int]]
    exceptions: dict[str, int]
    exception_details: list[ExceptionLine]
    planted: dict[str, int]
    control_totals: dict[str, Any]
    held_by_exceptions: dict[str, Any]
    agree: bool
    lost: int
    doubled: int
    lost_records: list[str]
    doubled_records: list[str]
    webhooks_received: int
    seconds: float


def turn_on_faults(controls: Controls, now: datetime) -> None:
    with httpx.Client(timeout=30) as http:
        http.put(f"{controls.netsuite}/__sandbox/faults", json={
            "concurrency_limit": 3,
            "outage_until": (now + timedelta(seconds=3)).isoformat()}).raise_for_status()
        http.put(f"{controls.stripe}/__sandbox/stripe/webhooks",
                 json={"duplicate": True, "reverse_order": True}).raise_for_status()


def register_webhook(found: Systems, url: str) -> str:
    """Subscribe the endpoint to the event types a flow handles."""
    events = sorted(t for t in STRIPE_EVENT_TYPES if handler_for("stripe", t) is not None)
    endpoint = found.stripe.v1.webhook_endpoints.create(params={
        "url": url, "enabled_events": events})
    return str(endpoint.secret)


def seed(found: Systems, scenario: Scenario) -> Seeded:
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    return seeded


def _running(database: Database) -> int:
    with database.session() as session:
        waiting = session.scalar(select(func.count()).select_from(InboxEntry).where(
            InboxEntry.status == "received")) or 0
    return int(waiting) + len(DBOS.list_workflows(status=list(RUNNING), load_input=False,
                                                  load_output=False))


def _webhooks_pending(controls: Controls) -> int:
    with httpx.Client(timeout=30) as http:
        view = http.get(f"{controls.stripe}/__sandbox/stripe/webhooks").json()
    return int(view["pending"])


def settle(found: Systems, database: Database, controls: Controls, progress: Progress,
           phase: str, total: int, *, interval: float = 0.5, timeout: float = 1800) -> None:
    """Wait until no flow runs, nothing waits in the inbox and Stripe has delivered every
    webhook, twice in a row. Every few seconds a Stripe events poll catches up with what
    the webhooks have not brought yet (the inbox dedups the two paths)."""
    quiet = 0
    started = time.monotonic()
    last_poll = started
    while quiet < 2 and time.monotonic() - started < timeout:
        if time.monotonic() - last_poll > CATCH_UP_SECONDS:
            poll(database, "stripe", "events", stripe_events_poller(found.stripe))
            last_poll = time.monotonic()
        running = _running(database)
        pending = _webhooks_pending(controls)
        done = len(DBOS.list_workflows(status=["SUCCESS", "ERROR"], load_input=False,
                                       load_output=False))
        progress(phase, min(done, total), max(total, done))
        quiet = quiet + 1 if running == 0 and pending == 0 else 0
        time.sleep(interval)


def win(found: Systems, database: Database, scenario: Scenario, seeded: Seeded) -> int:
    """Win the deals in order (the probable duplicate's last) and start their flows."""
    duplicate = {a.ref for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE}
    poller = opportunity_poller(found.salesforce)
    started = 0
    for refs in ([d.ref for d in scenario.deals if d.account_ref not in duplicate],
                 [d.ref for d in scenario.deals if d.account_ref in duplicate]):
        win_deals(found.salesforce, seeded, refs)
        started += len(poll(database, "salesforce", "opportunity", poller).started)
    return started


def change_deals(found: Systems, database: Database, scenario: Scenario,
                 seeded: Seeded) -> int:
    """The month's amendments (more seats) and renewals, as new opportunities on the
    accounts, won: each updates the existing subscription."""
    good = {d.ref for d in scenario.good_deals()}
    refs: list[str] = []
    for deal in scenario.deals:
        if deal.ref not in good:
            continue
        if deal.amendment is not None:
            refs.append(f"{deal.ref}-AMEND")
            seed_change(found.salesforce, seeded, deal, kind=DealType.UPGRADE.value,
                        ref=refs[-1], lines=[(deal.amendment.sku, deal.amendment.quantity)],
                        start=deal.amendment.effective, term_months=deal.term_months)
        if deal.renewal:
            refs.append(f"{deal.ref}-RENEW")
            renewal_start = deal.start_date + timedelta(days=30 * deal.term_months)
            seed_change(found.salesforce, seeded, deal, kind=DealType.RENEWAL.value,
                        ref=refs[-1], lines=[(line.sku, line.quantity) for line in deal.lines],
                        start=renewal_start, term_months=12)
    win_deals(found.salesforce, seeded, refs)
    return len(poll(database, "salesforce", "opportunity",
                    opportunity_poller(found.salesforce)).started)


def recover_declines(found: Systems, scenario: Scenario, seeded: Seeded) -> int:
    """Customers whose card was declined and who then pay: a working card becomes their
    default and their open invoices are paid (Stripe retries with it)."""
    recovered = 0
    v1 = found.stripe.v1
    for deal in scenario.good_deals():
        if deal.payment is not PaymentBehaviour.DECLINES_THEN_PAYS:
            continue
        opportunity = found.salesforce.get("Opportunity", seeded.deals[deal.ref])
        if not opportunity.get("Stripe_Subscription_Id__c"):
            continue
        customer = v1.subscriptions.retrieve(opportunity["Stripe_Subscription_Id__c"]).customer
        method = v1.payment_methods.attach("pm_card_visa", params={"customer": customer})
        v1.customers.update(customer, params={
            "invoice_settings": {"default_payment_method": method.id}})
        for invoice in v1.invoices.list(params={"customer": customer, "status": "open"}).data:
            v1.invoices.pay(invoice.id, params={"payment_method": method.id})
            recovered += 1
    return recovered


def refund_one(found: Systems, scenario: Scenario, seeded: Seeded) -> bool:
    """The month's refund: half of the refundable customer's first payment."""
    deal = next((d for d in scenario.deals if d.refund), None)
    if deal is None:
        return False
    opportunity = found.salesforce.get("Opportunity", seeded.deals[deal.ref])
    customer = found.stripe.v1.subscriptions.retrieve(
        opportunity["Stripe_Subscription_Id__c"]).customer
    charges = found.stripe.v1.charges.list(params={"customer": customer}).data
    paid = [c for c in charges if c.status == "succeeded"]
    if not paid:
        return False
    found.stripe.v1.refunds.create(params={"charge": paid[0].id,
                                           "amount": paid[0].amount // 2})
    return True


def rerun_polls(found: Systems, database: Database) -> int:
    """Re-run every change poll from the beginning: the inbox recognises every event."""
    again = poll(database, "stripe", "events", stripe_events_poller(found.stripe),
                 cursor="", store_cursor=False)
    opportunities = poll(database, "salesforce", "opportunity",
                         opportunity_poller(found.salesforce), cursor="", store_cursor=False)
    accounts = poll(database, "salesforce", "account", account_poller(found.salesforce),
                    cursor="", store_cursor=False)
    for intake in again.started + opportunities.started + accounts.started:
        with contextlib.suppress(Exception):  # a failed flow is in the exception queue
            DBOS.retrieve_workflow(intake.workflow_id).get_result()
    return again.events + opportunities.events + accounts.events


def outcome_of(status: str, output: Any) -> str:
    """A finished flow's outcome: what it reported (``created``, ``unchanged``, ``amended``,
    ``posted``...), ``exception`` when it stopped on one, else its DBOS status."""
    if status == "ERROR":
        return "exception"
    if status == "SUCCESS":
        if isinstance(output, dict) and output.get("outcome"):
            return str(output["outcome"])
        return "done"
    return str(status).lower()


def summarise(found: Systems, database: Database, scenario: Scenario, *,
              webhooks: int, seconds: float) -> Summary:
    flows: dict[str, Counter[str]] = {}
    for status in DBOS.list_workflows(load_input=False, load_output=True):
        name = str(status.name).rsplit(".", 1)[-1]
        flows.setdefault(name, Counter())[outcome_of(status.status, status.output)] += 1
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).where(
            ExceptionRecord.status == ExceptionStatus.OPEN.value).order_by(ExceptionRecord.id)))
        details = [ExceptionLine(owner=r.owner, reason=r.reason, record=r.record_ref,
                                 step=r.step) for r in rows]
    result = reconcile(found.stripe, found.netsuite["netsuite"].client, database)
    planted = Counter(defect.value for _, defect in scenario.defects())
    return Summary(
        seed=scenario.seed, accounts=len(scenario.accounts), month=scenario.month,
        flows={name: dict(counts) for name, counts in sorted(flows.items())},
        exceptions=dict(Counter(line.owner for line in details)),
        exception_details=details, planted=dict(planted),
        control_totals=jsonable_totals(result.control_totals),
        held_by_exceptions=jsonable_totals({"stripe": result.held})["stripe"],
        agree=result.agree, lost=len(result.lost), doubled=len(result.doubled),
        lost_records=result.lost, doubled_records=result.doubled, webhooks_received=webhooks,
        seconds=round(seconds, 1))


def run_month(found: Systems, database: Database, controls: Controls, scenario: Scenario,
              progress: Progress, *, received: Callable[[], int]) -> Summary:
    started = time.monotonic()
    progress("product master sync", 0, 1)
    run_flow(product_master_sync, FlowInput(correlation_id=f"product-sync:{scenario.month}")
             ).get_result()
    progress("product master sync", 1, 1)
    progress("seeding Salesforce", 0, 1)
    seeded = seed(found, scenario)
    progress("seeding Salesforce", 1, 1)
    turn_on_faults(controls, datetime.now(UTC))
    deals = win(found, database, scenario, seeded)
    settle(found, database, controls, progress, "running flows", deals * 3)
    if recover_declines(found, scenario, seeded):
        settle(found, database, controls, progress, "dunning recoveries", deals * 3)
    if change_deals(found, database, scenario, seeded):
        settle(found, database, controls, progress, "amendments and renewals", deals * 3)
    if refund_one(found, scenario, seeded):
        settle(found, database, controls, progress, "refund", deals * 3)
    if bill_usage(found, database, scenario.usage(), seeded.accounts):
        settle(found, database, controls, progress, "usage overages", deals * 3)
    # catch up on anything a webhook missed, then prove re-polling changes nothing
    poll(database, "stripe", "events", stripe_events_poller(found.stripe))
    settle(found, database, controls, progress, "catching up", deals * 3)
    rerun_polls(found, database)
    return summarise(found, database, scenario, webhooks=received(),
                     seconds=time.monotonic() - started)


__all__ = ["Controls", "ExceptionLine", "Progress", "Summary", "recover_declines",
           "register_webhook",
           "run_month", "settle", "summarise", "turn_on_faults"]
