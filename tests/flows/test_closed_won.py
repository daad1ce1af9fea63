"""Closed-won deals become customers in Stripe and NetSuite and active subscriptions; bad
deals become exceptions with the right owner; nothing is created twice."""

from __future__ import annotations

from accord.demo.scenario import Defect, PaymentBehaviour, generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.engine.timeline import Milestone, search
from accord.flows.keys import Key
from accord.flows.systems import Systems
from tests.flows.vendors import opportunity_poller, poll, stripe_events_poller

from .support import exceptions, finish


def _ns_customer(found: Systems, internal_id: str) -> dict[str, object]:
    return found.netsuite["netsuite"].client.get("customer", internal_id)


def test_closed_won_deals_become_active_subscriptions(engine, make_systems) -> None:
    found: Systems = make_systems()
    scenario = generate(seed=3, accounts=12)
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    duplicate = next(a.ref for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE)
    first = [d.ref for d in scenario.deals if d.account_ref != duplicate]
    last = [d.ref for d in scenario.deals if d.account_ref == duplicate]
    poller = opportunity_poller(found.salesforce)

    win_deals(found.salesforce, seeded, first)
    results, failures = finish(poll(engine.database, "salesforce", "opportunity", poller).started)
    win_deals(found.salesforce, seeded, last)
    more, late = finish(poll(engine.database, "salesforce", "opportunity", poller).started)
    results += more
    failures += late

    results = [r for r in results if r["outcome"] == "created"]
    bad_accounts = {a.ref: a.defect for a in scenario.accounts if a.defect}
    expected_bad = {d.ref for d in scenario.deals
                    if d.account_ref in bad_accounts or d.defect is Defect.UNKNOWN_SKU}
    good = [d for d in scenario.deals if d.ref not in expected_bad]
    assert len(results) == len(good)
    assert len(failures) == len(expected_bad)

    by_deal = {r["subscription"]: r for r in results}
    for deal in good:
        opportunity = found.salesforce.get("Opportunity", seeded.deals[deal.ref])
        sub_id = opportunity["Stripe_Subscription_Id__c"]
        assert sub_id in by_deal
        subscription = found.stripe.v1.subscriptions.retrieve(sub_id)
        pays = deal.payment is PaymentBehaviour.PAYS
        assert subscription.status == ("active" if pays else "incomplete")
        account = found.salesforce.get("Account", seeded.accounts[deal.account_ref])
        assert account["Billing_Status__c"] == ("Active" if pays else "Past Due")
        assert account["Stripe_Customer_Id__c"] == subscription.customer
        ns = _ns_customer(found, account["NetSuite_Customer_Id__c"])
        assert ns["externalId"] == account["Accord_Id__c"]
        assert ns["subsidiary"]["id"] == {"US01": "1", "DE01": "2"}[deal.legal_entity]

    records = exceptions(engine.database)
    refs = {seeded.ref_of(r.record_ref or ""): (r.owner, r.field) for r in records}
    assert set(refs) == expected_bad
    assert all(owner == "master_data" for owner, _ in refs.values())
    for deal in scenario.deals:
        if deal.ref in expected_bad:
            defect = deal.defect or bad_accounts[deal.account_ref]
            field = refs[deal.ref][1] or ""
            assert {Defect.MISSING_TAX_ID: field == "VAT_Number__c",
                    Defect.UNKNOWN_SKU: field.endswith("ProductCode"),
                    Defect.PROBABLE_DUPLICATE: field == "legal_name"}[defect]

    # a good deal's flow declares its order activated and the CRM told; a refused one neither
    engine.timeline.flush()
    for deal in scenario.deals:
        reached = {row.milestone for row in search(engine.database, seeded.deals[deal.ref],
                                                   kind=Key.DEAL_ID) if row.milestone}
        assert reached == (set() if deal.ref in expected_bad else
                           {Milestone.ORDER_ACTIVATED, Milestone.CRM_UPDATED}), deal.ref

    # the write-backs changed the opportunities again: polling sees them, nothing doubles
    customers = len(found.stripe.v1.customers.list(params={"limit": 100}).data)
    again, _ = finish(poll(engine.database, "salesforce", "opportunity", poller).started)
    replayed, _ = finish(poll(engine.database, "salesforce", "opportunity", poller,
                              cursor="", store_cursor=False).started)
    assert len(found.stripe.v1.customers.list(params={"limit": 100}).data) == customers
    assert len(found.stripe.v1.subscriptions.list(params={"limit": 100}).data) == len(good)
    assert len(exceptions(engine.database)) == len(records)
    assert {r["outcome"] for r in again + replayed} == {"unchanged"}
    assert poll(engine.database, "stripe", "events", stripe_events_poller(found.stripe)).events
