"""Running a seeded scenario month through the flows (shared by the end-to-end tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from accord.demo.scenario import Defect, PaymentBehaviour, Scenario, generate
from accord.demo.seeding import Seeded, payment_methods, seed_scenario, win_deals
from accord.flows.systems import Systems
from accord.store import Database
from tests.flows.vendors import bill_usage, opportunity_poller, poll, stripe_events_poller

from .support import finish


@dataclass
class Month:
    scenario: Scenario
    seeded: Seeded
    results: list[Any] = field(default_factory=list)
    failures: list[Any] = field(default_factory=list)

    def run(self, database: Database, found: Systems, *, stream_suffix: str = "") -> None:
        for started in (poll(database, "salesforce", "opportunity" + stream_suffix,
                             opportunity_poller(found.salesforce)).started,):
            self._finish(started)

    def _finish(self, started: list[Any]) -> None:
        results, failures = finish(started)
        self.results += results
        self.failures += failures


def current_month() -> str:
    return datetime.now(UTC).strftime("%Y-%m")


def run_month(database: Database, found: Systems, *, seed: int = 1, accounts: int = 12
              ) -> Month:
    """Seed, win every deal (the probable duplicate last), then drain the Stripe events;
    recover the declines, refund one payment, and bill the month's usage."""
    scenario = generate(seed=seed, accounts=accounts, month=current_month())
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    month = Month(scenario, seeded)
    duplicate = {a.ref for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE}
    poller = opportunity_poller(found.salesforce)
    for refs in ([d.ref for d in scenario.deals if d.account_ref not in duplicate],
                 [d.ref for d in scenario.deals if d.account_ref in duplicate]):
        win_deals(found.salesforce, seeded, refs)
        month._finish(poll(database, "salesforce", "opportunity", poller).started)
    drain_stripe(database, found, month)
    recover_declines(found, scenario, seeded)
    drain_stripe(database, found, month)
    refund = next(d for d in scenario.deals if d.refund)
    refund_deal(found, seeded.deals[refund.ref])
    drain_stripe(database, found, month)
    # the month's usage, reported, then billed in arrears as the usage periods close
    assert bill_usage(found, database, scenario.usage(), seeded.accounts) > 0
    drain_stripe(database, found, month)
    return month


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


def drain_stripe(database: Database, found: Systems, month: Month) -> None:
    month._finish(poll(database, "stripe", "events", stripe_events_poller(found.stripe)).started)


def refund_deal(found: Systems, opportunity_id: str) -> None:
    """The customer asks for their money back: finance refunds the first charge in Stripe."""
    sub_id = found.salesforce.get("Opportunity", opportunity_id)["Stripe_Subscription_Id__c"]
    invoice = found.stripe.v1.invoices.list(params={"subscription": sub_id}).data[0]
    customer = invoice.customer
    charge = found.stripe.v1.charges.list(params={"customer": customer}).data[0]
    found.stripe.v1.refunds.create(params={"charge": charge.id, "amount": charge.amount // 2})
