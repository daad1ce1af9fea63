"""Helpers shared by the flow tests: wait for started flows, read exceptions."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dbos import DBOS
from sqlalchemy import select

from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.engine.failures import FlowFailed
from accord.engine.inbox import Intake
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.store import Database
from accord.store.models import ExceptionRecord


def finish(intakes: Iterable[Intake]) -> tuple[list[Any], list[FlowFailed]]:
    """Wait for every flow; returns (results, failures)."""
    results: list[Any] = []
    failures: list[FlowFailed] = []
    for intake in intakes:
        try:
            results.append(DBOS.retrieve_workflow(intake.workflow_id).get_result())
        except FlowFailed as failure:
            failures.append(failure)
    return results, failures


def billing_only_customer(engine: Any, found: Any, name: str) -> tuple[Customer, str]:
    """A US01 customer accord knows in Stripe (linked, with its golden record) but not yet in
    NetSuite; returns it and its Stripe customer id."""
    customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", name), legal_name=name,
                        legal_entity="US01", currency="USD")
    stripe_customer = str(found.stripe.create_customer(customer)["id"])
    with engine.database.session() as session:
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "stripe", stripe_customer)
        GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER, "test",
                                                   customer.model_dump(mode="json"))
    return customer, stripe_customer


def every_deal_won(engine: Any, found: Any, *, seed: int = 3,
                   accounts: int = 12) -> tuple[Any, Any]:
    """A seeded scenario's deals all won in the CRM and taken through closed-won by the
    opportunity poll (customers, subscriptions and ERP records written by the real flows);
    returns the scenario and what was seeded in the CRM."""
    from accord.demo.scenario import generate
    from accord.demo.seeding import payment_methods, seed_scenario, win_deals
    from tests.flows.vendors import opportunity_poller, poll

    scenario = generate(seed=seed, accounts=accounts)
    seeded = seed_scenario(found.salesforce, scenario)
    found.payment_method_for = payment_methods(scenario, seeded)
    win_deals(found.salesforce, seeded, [deal.ref for deal in scenario.deals])
    results, _failures = finish(poll(engine.database, "salesforce", "opportunity",
                                     opportunity_poller(found.salesforce)).started)
    assert any(result["outcome"] == "created" for result in results)
    engine.timeline.flush()
    return scenario, seeded


def exceptions(database: Database) -> list[ExceptionRecord]:
    with database.session() as session:
        rows = list(session.scalars(select(ExceptionRecord).order_by(ExceptionRecord.id)))
        session.expunge_all()
        return rows
