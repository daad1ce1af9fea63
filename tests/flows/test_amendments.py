"""Amendments and renewals update the existing Stripe subscription (with proration) instead
of creating another one."""

from __future__ import annotations

from datetime import timedelta

from accord.demo.scenario import USAGE_SKU, generate
from accord.demo.seeding import payment_methods, seed_change, seed_scenario, win_deals
from accord.flows.systems import Systems
from tests.flows.vendors import opportunity_poller, poll

from .month import current_month
from .support import exceptions, finish


def test_upgrade_add_on_and_renewal_amend_the_subscription(engine, make_systems) -> None:
    found: Systems = make_systems()
    scenario = generate(seed=2, accounts=12, month=current_month())
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    deal = next(d for d in scenario.good_deals() if d.payment.value == "pays"
                and [line.sku for line in d.lines if line.sku != USAGE_SKU] == ["BW-PLAT-SEAT"])
    poller = opportunity_poller(found.salesforce)
    win_deals(found.salesforce, seeded, [deal.ref])
    (created,), failures = finish(poll(engine.database, "salesforce", "opp", poller).started)
    assert failures == []
    subscription_id = created["subscription"]
    seats = deal.lines[0].quantity

    effective = deal.start_date + timedelta(days=10)
    seed_change(found.salesforce, seeded, deal, kind="Existing Business - Upgrade",
                ref="UPGRADE", lines=[("BW-PLAT-SEAT", seats + 5), ("BW-ANALYTICS", 1)],
                start=effective, term_months=deal.term_months)
    win_deals(found.salesforce, seeded, ["UPGRADE"])
    results, failures = finish(poll(engine.database, "salesforce", "opp", poller).started)
    assert failures == []
    (amended,) = [r for r in results if r["outcome"] == "amended"]
    assert amended["subscription"] == subscription_id

    subscription = found.stripe.v1.subscriptions.retrieve(subscription_id)
    items = {item.metadata["sku"]: item.quantity for item in subscription["items"].data
             if item.metadata["sku"] != USAGE_SKU}  # a metered item has no quantity
    assert items == {"BW-PLAT-SEAT": seats + 5, "BW-ANALYTICS": 1}
    pending = found.stripe.v1.invoice_items.list(params={"customer": subscription.customer,
                                                         "pending": True}).data
    assert pending
    assert all(item.proration for item in pending)
    assert len(found.stripe.v1.subscriptions.list(
        params={"customer": subscription.customer}).data) == 1

    seed_change(found.salesforce, seeded, deal, kind="Renewal", ref="RENEWAL",
                lines=[("BW-PLAT-SEAT", seats + 5)],
                start=deal.start_date + timedelta(days=365), term_months=12)
    win_deals(found.salesforce, seeded, ["RENEWAL"])
    results, failures = finish(poll(engine.database, "salesforce", "opp", poller).started)
    assert failures == []
    renewed = found.stripe.v1.subscriptions.retrieve(subscription_id)
    assert renewed.metadata["contract_end"] > subscription.metadata["contract_end"]
    assert {item.metadata["sku"]: item.quantity for item in renewed["items"].data
            if item.metadata["sku"] != USAGE_SKU} == items
    # re-polling from the start changes nothing
    again, _ = finish(poll(engine.database, "salesforce", "opp", poller, cursor="",
                           store_cursor=False).started)
    assert {r["outcome"] for r in again} <= {"unchanged"}
    assert exceptions(engine.database) == []
