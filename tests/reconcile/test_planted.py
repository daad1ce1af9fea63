"""Differences planted directly in the sandboxes, through their APIs, on top of the consistent
baseline: the run reports each exactly once, with its class and owner, and nothing else."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from accord.canonical.reconciliation import Measure
from accord.connectors.netsuite import mapping as ns_mapping
from accord.connectors.stripe import mapping as stripe_mapping
from accord.engine.owners import OwnerRules
from accord.reconcile.differences import DifferenceKind
from accord.reconcile.plan import comparisons, contributions
from accord.reconcile.runs import run_reconciliation
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord

from .world import World


@pytest.fixture
def recon_db(database_url: str) -> Iterator[Database]:
    """Here on SQLite and PostgreSQL both."""
    database = Database(database_url)
    upgrade(database.engine)
    yield database
    database.dispose()


def plant(world: World) -> dict[str, str]:
    """Plant one difference of each kind; return the keys they are reported under."""
    ns, ids = world.netsuite, world.netsuite_invoices
    # delete a posted invoice
    ns.delete("invoice", ids["A"])
    # double-post one: the same invoice again, under no external id
    invoice_b = stripe_mapping.invoice_from_stripe(world.invoices["B"],
                                                   customer_id=world.customer.id,
                                                   legal_entity="US01")
    body = ns_mapping.invoice_to_netsuite(invoice_b, world.ref)
    body.pop("externalId")
    ns.create("invoice", body)
    # alter an amount
    lines = ns.get("invoice", ids["C"])["item"]["items"]
    ns.update("invoice", ids["C"], {"item": {"items": [
        {"item": {"id": lines[0]["item"]["id"]}, "quantity": 1, "rate": Decimal("43.00"),
         "amount": Decimal("43.00")}]}})
    # change a currency (the customer may now be billed in EUR)
    customer = ns.get_by_external_id("customer", world.customer.id)
    ns.update("customer", customer["id"], {"currencyList": {"items": [
        {"currency": {"id": "1"}}, {"currency": {"id": "2"}}]}})
    ns.update("invoice", ids["D"], {"currency": {"id": "2"}})
    # an orphan payment keyed in by hand
    orphan = ns.create("customerPayment", {
        "customer": {"externalId": world.customer.id}, "currency": {"id": "1"},
        "tranDate": date.today().isoformat(), "payment": Decimal("77.00"), "undepFunds": True})
    # the CRM shows the subscription cancelled; billing has it active
    world.salesforce.update("Contract", world.contract, {"Subscription_Status__c": "Canceled"})
    return {"A": str(world.invoices["A"]["number"]), "B": str(world.invoices["B"]["number"]),
            "C": str(world.invoices["C"]["number"]), "D": str(world.invoices["D"]["number"]),
            "orphan": f"netsuite:{orphan}", "subscription": world.subscription}


def test_each_planted_difference_is_reported_once_with_class_and_owner(baseline: World
                                                                        ) -> None:
    keys = plant(baseline)
    readers = baseline.by_role()
    report = run_reconciliation(baseline.database, OwnerRules(), comparisons(readers),
                                contributions(readers), compare_totals=("stripe", "netsuite"))
    found = sorted((d.entity, d.key, d.kind.value, d.owner.value) for d in report.differences)
    assert found == sorted([
        ("invoice", keys["A"], "missing_in_target", "integration_engineering"),
        ("invoice", keys["B"], "duplicate_in_target", "integration_engineering"),
        ("invoice", keys["C"], "amount_mismatch", "finance_operations"),
        ("invoice", keys["D"], "currency_mismatch", "finance_operations"),
        ("payment", keys["orphan"], "orphan", "finance_operations"),
        ("subscription", keys["subscription"], "status_mismatch", "finance_operations"),
    ])
    by_kind = {d.kind: d for d in report.differences}
    assert (by_kind[DifferenceKind.AMOUNT_MISMATCH].expected,
            by_kind[DifferenceKind.AMOUNT_MISMATCH].actual) == ("42.00 USD", "43.00 USD")
    assert (by_kind[DifferenceKind.CURRENCY_MISMATCH].expected,
            by_kind[DifferenceKind.CURRENCY_MISMATCH].actual) == ("USD", "EUR")
    assert (by_kind[DifferenceKind.STATUS_MISMATCH].expected,
            by_kind[DifferenceKind.STATUS_MISMATCH].actual) == ("active", "canceled")
    assert len(by_kind[DifferenceKind.DUPLICATE_IN_TARGET].target_ids) == 2

    # the control totals see the same drift: A gone and B twice, C altered, D moved to EUR,
    # the orphan's cash
    drift = {(d.currency, d.measure): (d.left.amount, d.right.amount)
             for d in report.total_differences}
    assert drift[("USD", Measure.INVOICED)] == (Decimal("1721.00"),
                                                Decimal("1773.00"))
    assert drift[("EUR", Measure.INVOICED)] == (Decimal(0), Decimal("99.00"))
    assert drift[("USD", Measure.CASH)] == (Decimal("1235.00"), Decimal("1312.00"))
    assert {measure for _currency, measure in drift} == {
        Measure.INVOICED, Measure.CASH, Measure.OPEN_RECEIVABLES}

    with baseline.database.session() as session:
        exceptions = session.scalars(select(ExceptionRecord)).all()
    assert sorted((e.record_ref, e.owner) for e in exceptions) == sorted(
        (key, owner) for _entity, key, _kind, owner in found)

    again = run_reconciliation(baseline.database, OwnerRules(), comparisons(readers))
    assert len(again.differences) == 6
    with baseline.database.session() as session:
        assert sorted(e.occurrences for e in session.scalars(select(ExceptionRecord))) == [2] * 6
