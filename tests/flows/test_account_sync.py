"""Salesforce account changes, polled by SystemModstamp with a durable cursor: a change to a
field Salesforce owns reaches Stripe and NetSuite; a change to a field it does not own (an
invoiced customer's tax registration belongs to NetSuite) is not propagated; accord's own
write-backs coming back are echoes, and nothing loops."""

from __future__ import annotations

from typing import Any

from accord.demo.scenario import generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.flows.systems import Systems
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.store import Database
from tests.flows.vendors import account_poller, customer_poller, opportunity_poller, poll

from .support import exceptions, finish


def _poll_accounts(database: Database, found: Systems) -> list[dict[str, Any]]:
    results, failures = finish(poll(database, "salesforce", "account",
                                    account_poller(found.salesforce)).started)
    assert failures == []
    return results


def _golden(database: Database, found: Systems, customer_id: str) -> tuple[int, dict[str, Any]]:
    with database.session() as session:
        view = GoldenRecords(session, found.policy).current(customer_id)
        assert view is not None
        return view.version, view.data


def test_account_changes_propagate_by_ownership_without_loops(engine, make_systems) -> None:
    found: Systems = make_systems()
    scenario = generate(seed=5, accounts=12)
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    good = next(d for d in scenario.good_deals() if d.legal_entity == "US01")
    win_deals(found.salesforce, seeded, [good.ref])
    (created,), failures = finish(poll(engine.database, "salesforce", "opportunity",
                                       opportunity_poller(found.salesforce)).started)
    assert failures == []
    account_id = seeded.accounts[good.account_ref]
    customer_id = created["customer_id"]
    with engine.database.session() as session:
        netsuite_id = Xrefs(session).system_id(customer_id, "netsuite")
    assert netsuite_id is not None
    ns = found.netsuite["netsuite"].client
    stripe_customer = created["billing_customer"]

    # the first poll sees every account: the won one changed only by accord's write-back
    # (an echo, nothing written anywhere); the others are not accord's customers yet
    version, _ = _golden(engine.database, found, customer_id)
    ns_before = ns.get("customer", netsuite_id)
    first = _poll_accounts(engine.database, found)
    assert len(first) == len(scenario.accounts)
    outcomes = {r["outcome"] for r in first if r.get("customer_id") == customer_id}
    assert outcomes == {"echo"}
    assert {r["outcome"] for r in first if r.get("customer_id") != customer_id} == {
        "not_accord_customer"}
    assert _golden(engine.database, found, customer_id)[0] == version
    assert ns.get("customer", netsuite_id)["lastModifiedDate"] == \
        ns_before["lastModifiedDate"]

    # a field Salesforce owns: the legal name reaches the golden record, Stripe and NetSuite
    found.salesforce.update("Account", account_id, {"Name": "Renamed Holdings Inc."})
    (renamed,) = _poll_accounts(engine.database, found)
    assert renamed["outcome"] == "propagated"
    assert "legal_name" in renamed["changed"]
    assert _golden(engine.database, found, customer_id)[1]["legal_name"] == \
        "Renamed Holdings Inc."
    assert found.stripe.v1.customers.retrieve(stripe_customer).name == "Renamed Holdings Inc."
    assert ns.get("customer", netsuite_id)["companyName"] == "Renamed Holdings Inc."

    # a field Salesforce does not own once the customer is invoiced: not propagated
    version, data = _golden(engine.database, found, customer_id)
    ns_before = ns.get("customer", netsuite_id)
    found.salesforce.update("Account", account_id, {"VAT_Number__c": "99-7654321"})
    (vat,) = _poll_accounts(engine.database, found)
    assert vat["outcome"] == "ignored"
    assert vat["ignored"] == ["tax_profile"]
    assert _golden(engine.database, found, customer_id) == (version, data)
    assert ns.get("customer", netsuite_id)["lastModifiedDate"] == \
        ns_before["lastModifiedDate"]

    # accord's write to NetSuite comes back through NetSuite's change poll as an echo
    from_netsuite, ns_failures = finish(poll(
        engine.database, "netsuite", "customer",
        customer_poller(found.netsuite["netsuite"])).started)
    assert ns_failures == []
    assert _golden(engine.database, found, customer_id)[0] == version
    assert all(not r.get("changed") for r in from_netsuite)

    # nothing new since the cursor; re-polling from the start is recognised by the inbox
    assert _poll_accounts(engine.database, found) == []
    again = poll(engine.database, "salesforce", "account", account_poller(found.salesforce),
                 cursor="", store_cursor=False)
    assert again.events == len(scenario.accounts)
    assert all(intake.duplicate for intake in again.started)
    finish(again.started)
    assert found.stripe.v1.customers.retrieve(stripe_customer).name == "Renamed Holdings Inc."
    assert _golden(engine.database, found, customer_id)[0] == version
    assert exceptions(engine.database) == []
