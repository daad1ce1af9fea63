"""Readers stream each sandbox's records; the baseline agrees everywhere."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from accord.canonical import Customer, Money
from accord.canonical.ids import EntityType, new_id
from accord.canonical.period import Period, period_of
from accord.canonical.reconciliation import Entity, Measure
from accord.canonical.record_keys import CHUNK, keyed
from accord.engine.owners import OwnerRules
from accord.reconcile.matcher import compare
from accord.reconcile.plan import comparisons, contributions
from accord.reconcile.runs import run_reconciliation

from .world import World, add_customer, by_role, post_invoice, stripe_invoice


def test_the_consistent_baseline_reconciles_clean(baseline: World) -> None:
    readers = baseline.readers()
    stripe_invoices = sorted(r.key for r in readers["stripe"].records(Entity.INVOICE))
    netsuite_invoices = sorted(r.key for r in readers["netsuite"].records(Entity.INVOICE))
    assert len(stripe_invoices) == 6
    assert stripe_invoices == netsuite_invoices
    report = run_reconciliation(baseline.database, OwnerRules(), comparisons(by_role(readers)),
                                contributions(by_role(readers)),
                                compare_totals=("stripe", "netsuite"))
    assert report.differences == []
    assert report.total_differences == []
    cash = {t.system: t.total for t in report.totals if t.measure is Measure.CASH}
    assert str(cash["stripe"]) == str(cash["netsuite"]) == "1235.00 USD"


def test_a_period_scopes_every_reader(baseline: World) -> None:
    today = datetime.now(UTC).date()
    now = Period.parse(period_of(today))
    earlier = Period.parse(period_of(now.start - timedelta(days=1)))
    current = baseline.readers(now)
    assert sum(1 for _ in current["stripe"].records(Entity.INVOICE)) == 6
    assert sum(1 for _ in current["netsuite"].records(Entity.PAYMENT)) == 2
    assert {c.period for r in current.values() for c in r.contributions()} == {now.label}
    past = baseline.readers(earlier)
    for system in ("stripe", "netsuite"):
        assert list(past[system].contributions()) == []
        assert list(past[system].records(Entity.INVOICE)) == []
        assert list(past[system].records(Entity.REFUND)) == []


def test_a_stripe_id_carried_as_netsuite_external_id_resolves_through_xref(
        baseline: World) -> None:
    intent = baseline.stripe.v1.payment_intents.create(params={
        "amount": 2_500, "currency": "usd", "customer": baseline.stripe_customer,
        "payment_method": "pm_card_visa", "confirm": True})
    charge = str(intent.latest_charge)
    payment = new_id(EntityType.PAYMENT)
    baseline.link(payment, EntityType.PAYMENT, "stripe", charge)
    baseline.netsuite.create("customerPayment", {
        "externalId": charge, "customer": {"externalId": baseline.customer.id},
        "currency": {"id": "1"}, "tranDate": datetime.now(UTC).date().isoformat(),
        "payment": Decimal("25.00"), "undepFunds": True})
    readers = baseline.readers()
    keys = {r.key for r in readers["netsuite"].records(Entity.PAYMENT)}
    assert payment in keys
    assert list(compare(readers["stripe"].records(Entity.PAYMENT),
                        readers["netsuite"].records(Entity.PAYMENT), entity="payment",
                        source_system="stripe", target_system="netsuite")) == []


class CountingKeys:
    """A key resolver that records each lookup (to show lookups are batched)."""

    def __init__(self, linked: dict[str, str]) -> None:
        self.linked = linked
        self.calls: list[int] = []

    def canonical_ids(self, system: str, entity: EntityType, system_ids: Sequence[str]
                      ) -> Mapping[str, str]:
        self.calls.append(len(system_ids))
        return {i: self.linked[i] for i in system_ids if i in self.linked}


def test_keys_prefer_the_carried_id_then_xref_in_batches() -> None:
    carried = new_id(EntityType.INVOICE)
    linked = new_id(EntityType.INVOICE)
    items = [("x1", carried), ("x2", None), *((f"n{i}", None) for i in range(1200))]
    resolver = CountingKeys({"x2": linked})
    result = list(keyed(iter(items), resolver, system="stripe", entity=EntityType.INVOICE,
                        system_id=lambda item: item[0], carried=lambda item: item[1]))
    assert result[0][0] == carried
    assert result[1][0] == linked
    assert result[2][0] == "stripe:n0"
    assert len(result) == 1202
    assert resolver.calls == [CHUNK - 1, CHUNK, 1202 - 2 * CHUNK]


def test_zero_decimal_currencies_reconcile_exactly(world: World) -> None:
    world.customer = Customer(legal_name="Kaisha KK", legal_entity="JP01", currency="JPY")
    add_customer(world)
    invoice = stripe_invoice(world, 98_000, "Platform", currency="jpy")
    post_invoice(world, "J", invoice)
    readers = by_role({name: reader for name, reader in world.readers().items()
                       if name != "salesforce"})
    report = run_reconciliation(world.database, OwnerRules(), comparisons(readers),
                                contributions(readers), compare_totals=("stripe", "netsuite"))
    assert report.clean
    invoiced = {(t.system, t.subsidiary): t.total for t in report.totals
                if t.measure is Measure.INVOICED}
    assert invoiced == {("stripe", "JP01"): Money.of(98_000, "JPY"),
                        ("netsuite", "JP01"): Money.of(98_000, "JPY")}


def test_salesforce_customers_are_won_accounts_and_won_deals_carry_subscriptions(
        baseline: World) -> None:
    sf = baseline.salesforce
    [won] = [str(row["Id"]) for row in sf.query(
        "SELECT Id FROM Opportunity WHERE IsWon = true")]
    prospect = sf.create("Account", {"Name": "Prospect Ltd", "CurrencyIsoCode": "USD"})
    sf.create("Opportunity", {"Name": "lost", "AccountId": prospect,
                              "StageName": "Closed Lost", "CloseDate": date.today()})
    reader = baseline.readers()["salesforce"]
    # a prospect (no won deal) is not expected in billing
    customers = [(c.key, c.refs) for c in reader.records(Entity.CUSTOMER)]
    assert customers == [(baseline.customer.id, (won,))]

    # the prospect wins a deal and an amendment: accord wrote the subscription id on both
    deals = [sf.create("Opportunity", {
        "Name": name, "AccountId": prospect, "StageName": "Closed Won",
        "CloseDate": date.today(), "Stripe_Subscription_Id__c": "sub_NEW"})
        for name in ("new", "more seats")]
    customers = [(c.key, c.refs) for c in reader.records(Entity.CUSTOMER)]
    assert customers == [(baseline.customer.id, (won,)),
                         (f"salesforce:{prospect}", tuple(sorted(deals)))]
    subscriptions = {s.key: (s.system_id, s.refs, s.status)
                     for s in reader.records(Entity.SUBSCRIPTION)}
    assert subscriptions == {baseline.subscription: (baseline.contract, (), "active"),
                             "sub_NEW": (deals[0], (deals[1],), None)}


def test_a_refund_of_an_invoice_payment_is_a_credit_in_stripe(baseline: World) -> None:
    def credits() -> list[str]:
        return [str(c.amount) for c in baseline.readers()["stripe"].contributions()
                if c.measure is Measure.CREDITS]

    assert credits() == []  # the baseline's refund was of a payment on account: cash only
    paid = baseline.stripe.v1.charges.list(params={"customer": baseline.stripe_customer,
                                                   "limit": 100}).data
    charge = next(c for c in paid if c.amount == 120_000)  # the one that paid invoice E
    baseline.stripe.v1.refunds.create(params={"charge": charge.id, "amount": 2_000})
    assert credits() == ["20.00 USD"]
