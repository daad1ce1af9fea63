"""NetSuite customer changes reach the golden record only for the fields NetSuite owns."""

from __future__ import annotations

import time

from accord.demo.scenario import generate
from accord.demo.seeding import payment_methods, seed_scenario, win_deals
from accord.flows.systems import Systems
from accord.registry.golden import GoldenRecords
from tests.flows.vendors import customer_poller, opportunity_poller, poll

from .month import current_month
from .support import finish


def test_credit_hold_is_taken_and_a_renamed_customer_is_not(engine, make_systems) -> None:
    found: Systems = make_systems()
    scenario = generate(seed=2, accounts=12, month=current_month())
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    deal = next(d for d in scenario.good_deals() if d.legal_entity == "US01")
    win_deals(found.salesforce, seeded, [deal.ref])
    (created,), _ = finish(poll(engine.database, "salesforce", "opportunity",
                                opportunity_poller(found.salesforce)).started)
    customer_id = created["customer_id"]
    poster = found.netsuite["netsuite"]
    poller = customer_poller(poster)
    # accord's own customer write comes back: nothing changes
    first, _ = finish(poll(engine.database, "netsuite", "customer", poller).started)
    assert [r["changed"] for r in first if r["outcome"] == "merged"] == [[]]

    # finance puts the customer on credit hold and someone renames it in NetSuite - a second
    # after accord's own write at the least: the change poll reads NetSuite's modification
    # stamps to the second, and a record changed again within the second its cursor stopped
    # at is seen at its next change (docs/connectors/netsuite.md, Intake)
    time.sleep(1.1)
    poster.client.update("customer", created["erp_customer"],
                         {"creditHoldOverride": "ON", "companyName": "Renamed In ERP Inc."})
    (merged,), _ = finish(poll(engine.database, "netsuite", "customer", poller).started)
    assert merged["changed"] == ["status"]
    assert "legal_name" in merged["ignored"]
    with engine.database.session() as session:
        golden = GoldenRecords(session, found.policy).current(customer_id)
    assert golden is not None
    assert golden.data["status"] == "on_hold"
    assert golden.data["legal_name"] == deal.name.split(" - ")[0]
    assert golden.field_sources["status"]["system"] == "netsuite"
    # polling again finds nothing new
    assert poll(engine.database, "netsuite", "customer", poller).started == []
