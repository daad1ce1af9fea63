"""Winning deals through a running deployment: the producer the observability tests read."""

from __future__ import annotations

from dataclasses import dataclass

from accord import bootstrap
from accord.demo.scenario import Scenario, generate
from accord.demo.seeding import Seeded, payment_methods, seed_scenario, win_deals
from tests.flows.support import finish
from tests.flows.vendors import Vendors, opportunity_poller, poll


@dataclass
class Won:
    scenario: Scenario
    seeded: Seeded
    good: str
    """The scenario ref of the deal that went through."""
    bad: list[str]
    """The refs of the won deals refused (exceptions)."""
    results: list[object]
    failures: list[object]


def win(service: bootstrap.Service, found: Vendors, *, bad: int = 0) -> Won:
    """Seed a small scenario, win one good US deal (and ``bad`` refused ones), poll the CRM
    and wait for the flows."""
    scenario = generate(seed=3, accounts=12)
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    defective = {a.ref for a in scenario.accounts if a.defect}
    good = next(d.ref for d in scenario.deals if d.defect is None
                and d.account_ref not in defective and d.legal_entity == "US01")
    refused = [d.ref for d in scenario.deals if d.defect is not None][:bad]
    win_deals(found.salesforce, seeded, [good, *refused])
    results, failures = finish(poll(service.runtime.database, "salesforce", "opportunity",
                                    opportunity_poller(found.salesforce)).started)
    service.runtime.timeline.flush()
    return Won(scenario, seeded, good, refused, list(results), list(failures))
