"""Usage overages over real HTTP: usage records reach Stripe as billing meter events, once
each however often they are delivered; the renewal invoice carries the overage line; and
NetSuite gets that invoice once, with the same amounts, on the usage item."""

from __future__ import annotations

from decimal import Decimal

from accord.connectors.stripe.mapping import money
from accord.demo.lost_and_doubled import held_references, reconcile
from accord.demo.scenario import USAGE_SKU, generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.engine import FlowInput, run_flow
from accord.flows.systems import Systems
from accord.flows.usage import ALREADY_REPORTED, REPORTED, usage_reporting
from tests.flows.vendors import (
    close_usage_periods,
    deliver_usage,
    invoice_id_for,
    opportunity_poller,
    poll,
    stripe_events_poller,
)

from .month import current_month
from .support import exceptions, finish


def test_usage_is_reported_once_and_billed_as_an_overage(engine, make_systems) -> None:
    found: Systems = make_systems()
    scenario = generate(seed=1, accounts=12, month=current_month())
    deal = next(d for d in scenario.good_deals() if d.usage_units)
    records = [r for r in scenario.usage() if r.deal_ref == deal.ref]
    assert sum(r.quantity for r in records) == deal.usage_units
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    win_deals(found.salesforce, seeded, [deal.ref])
    (created,), failures = finish(poll(engine.database, "salesforce", "opportunity",
                                       opportunity_poller(found.salesforce)).started)
    assert failures == []
    stripe_customer = created["billing_customer"]

    # the product reports the month's usage; then it delivers it all again
    results, failures = finish(deliver_usage(engine.database, records, seeded.accounts))
    assert failures == []
    assert [r["outcome"] for r in results] == [REPORTED] * len(records)
    again, _ = finish(deliver_usage(engine.database, records, seeded.accounts))
    assert [r["outcome"] for r in again] == [REPORTED] * len(records)  # the inbox's dedup
    replayed = run_flow(usage_reporting, FlowInput(
        correlation_id="test:usage-replay", keys={
            "usage_id": records[0].ref, "account_id": seeded.accounts[deal.account_ref]},
        payload={"id": records[0].ref, "account_id": seeded.accounts[deal.account_ref],
                 "sku": USAGE_SKU, "quantity": str(records[0].quantity),
                 "occurred_at": f"{records[0].occurred_on.isoformat()}T12:00:00+00:00"}))
    assert replayed.get_result()["outcome"] == ALREADY_REPORTED  # Stripe's identifier

    v1 = found.stripe.v1
    subscription = v1.subscriptions.retrieve(created["subscription"])
    item = next(i for i in subscription["items"].data if i.price.recurring.usage_type == "metered")
    meter = item.price.recurring.meter
    summary = v1.billing.meters.event_summaries.list(meter, params={
        "customer": stripe_customer, "start_time": int(item.current_period_start),
        "end_time": int(item.current_period_end)}).data[0]
    assert Decimal(str(summary.aggregated_value)) == deal.usage_units

    # the period closes: the renewal invoice bills the usage in arrears, and is posted
    assert close_usage_periods(found, [stripe_customer]) == 1
    finish(poll(engine.database, "stripe", "events", stripe_events_poller(found.stripe)).started)
    renewal = next(i for i in v1.invoices.list(params={"customer": stripe_customer}).data
                   if i.billing_reason == "subscription_cycle")
    lines = v1.invoices.line_items.list(renewal.id, params={"limit": 100}).data
    deal_price = next(line.unit_price for line in deal.lines if line.sku == USAGE_SKU)
    overage = [line for line in lines if line.pricing and line.pricing.price_details
               and line.pricing.price_details.price == item.price.id]
    assert len(overage) == 1
    assert overage[0].quantity == deal.usage_units
    assert money(overage[0].amount, renewal.currency).amount == deal.usage_units * deal_price

    ns = found.netsuite["netsuite"].client
    record = ns.get_by_external_id("invoice", invoice_id_for(renewal.id))
    assert Decimal(str(record["total"])) == money(renewal.total, renewal.currency).amount
    assert Decimal(str(record["taxTotal"])) == money(
        renewal.total - renewal.subtotal, renewal.currency).amount
    usage_item = found.netsuite["netsuite"].ref.items["USAGE"].id
    ns_usage = [line for line in record["item"]["items"]
                if str(line["item"]["id"]) == str(usage_item)
                and Decimal(str(line["amount"])) != 0]
    assert [Decimal(str(line["amount"])) for line in ns_usage] == [
        deal.usage_units * deal_price]
    externals = [row["externalid"] for row in ns.suiteql(
        "SELECT t.externalid FROM transaction t WHERE t.type = 'CustInvc'")]
    assert externals.count(invoice_id_for(renewal.id)) == 1

    result = reconcile(found.stripe, ns, held_references(engine.database))
    assert result.lost == []
    assert result.doubled == []
    assert result.agree
    assert exceptions(engine.database) == []
