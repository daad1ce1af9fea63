"""Through the real invoice-posting flow against the sandboxes: a GL change (the onboarding
SKU posted as another ERP item, so to another income account) proposed by one admin is not
used until a second approves and it is activated; then new postings use it and record the
version; rollback restores the previous mapping for new postings and lists the ones made
under the rolled-back version."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from dbos import DBOS
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from accord import bootstrap
from accord.canonical.ids import EntityType, derived_id
from accord.canonical.party import Customer
from accord.cli import app as cli
from accord.engine import EngineOptions, FlowInput, run_flow
from accord.engine.replay import replay
from accord.flows.catalog import product_for
from accord.flows.invoice_posting import invoice_posting
from accord.flows.keys import Key
from accord.flows.systems import systems
from accord.refdata import versions
from accord.refdata.bundle import RefdataBundle
from accord.refdata.usage import versions_of
from accord.refdata.versions import RefdataError
from accord.refdata.whatif import ERP_ITEM, REVENUE_ACCOUNT, replay_period
from accord.registry.golden import GoldenRecords
from accord.registry.xref import Xrefs
from accord.revenue.recognition import last_day, recognize
from accord.store import Database, upgrade
from accord.store.models import BusinessKey, RefdataUse, RevenueScheduleRow
from tests.flows.conftest import Sandboxes, sandbox_deployment, sandbox_overrides
from tests.flows.vendors import Vendors, invoice_id_for

from ..flows.support import exceptions

SKU = "BW-ONBOARD"


def _onboarding_as(item: str) -> RefdataBundle:
    shipped = RefdataBundle.from_files()
    skus = dict(shipped.skus.skus)
    skus[SKU] = skus[SKU].model_copy(update={"erp_item": item})
    return shipped.model_copy(update={"skus": shipped.skus.model_copy(update={"skus": skus})})


def _config(tmp_path: Path, running: Sandboxes) -> Path:
    """An ``accord.toml`` naming the test's sandboxes, as ``accord init --sandboxes``
    writes one."""
    lines = []
    for name, values in sandbox_overrides(running).items():
        lines.append(f"[systems.{json.dumps(name)}]")
        lines += [f"{key} = {json.dumps(_plain(value))}" for key, value in values.items()]
    path = tmp_path / "accord.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _plain(value: Any) -> Any:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value if isinstance(value, bool | int | float) else str(value)


class Billed:
    """One customer known to billing and the ERP, and the onboarding SKU's billing price."""

    def __init__(self, engine: Any, found: Vendors) -> None:
        self.engine = engine
        self.found = found
        customer = Customer(id=derived_id(EntityType.CUSTOMER, "test", "Refdata Inc."),
                            legal_name="Refdata Inc.", legal_entity="US01", currency="USD")
        self.stripe_customer = str(found.stripe.create_customer(customer)["id"])
        erp_customer = found.netsuite["netsuite"].post_customer(customer)
        entry = found.skus.entry(SKU)
        v1 = found.stripe.v1
        product = v1.products.create(params={"name": entry.name})
        self.price = str(v1.prices.create(params={
            "product": product.id, "currency": "usd", "unit_amount": 150000}).id)
        with engine.database.session() as session:
            xrefs = Xrefs(session)
            xrefs.link(customer.id, EntityType.CUSTOMER, "stripe", self.stripe_customer)
            xrefs.link(customer.id, EntityType.CUSTOMER, "netsuite", erp_customer)
            xrefs.link(product_for(SKU, entry).id, EntityType.PRODUCT, "stripe", product.id)
            GoldenRecords(session, found.policy).merge(customer.id, EntityType.CUSTOMER,
                                                       "test", customer.model_dump(mode="json"))

    def post_invoice(self) -> tuple[str, str]:
        """Bill the onboarding package, post the invoice through the flow; the canonical
        invoice id and the ERP item id its line was posted with."""
        v1 = self.found.stripe.v1
        v1.invoice_items.create(params={"customer": self.stripe_customer, "price": self.price})
        draft = v1.invoices.create(params={"customer": self.stripe_customer,
                                           "pending_invoice_items_behavior": "include"})
        stripe_invoice = str(v1.invoices.finalize_invoice(draft.id).id)
        run_flow(invoice_posting, FlowInput(
            correlation_id=f"test:{stripe_invoice}", keys={"billing_invoice_id": stripe_invoice},
            system="stripe")).get_result()
        canonical = invoice_id_for(stripe_invoice)
        record = self.found.netsuite["netsuite"].client.get_by_external_id("invoice", canonical)
        (line,) = record["item"]["items"]
        return canonical, str(line["item"]["id"])

    def version_of(self, invoice: str) -> list[int]:
        """The versions recorded for the posting, checked against its trace's key."""
        with self.engine.database.session() as session:
            recorded = [use.version for use in versions_of(session, invoice)]
            on_trace = sorted(int(key.value) for key in session.scalars(
                select(BusinessKey).where(
                    BusinessKey.kind == Key.REFDATA_VERSION,
                    BusinessKey.correlation_id.in_(
                        select(RefdataUse.correlation_id).where(
                            RefdataUse.canonical_id == invoice)))))
        assert on_trace == sorted(recorded)
        return recorded


def test_an_approved_gl_change_reaches_new_postings_and_rollback_restores_it(
        engine, make_systems, sandboxes, sqlite_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    found: Vendors = make_systems()
    ref = found.netsuite["netsuite"].ref
    services, subscription = ref.items["SERVICES"].id, ref.items["SUBSCRIPTION"].id
    billed = Billed(engine, found)

    before, item = billed.post_invoice()
    assert item == services
    assert billed.version_of(before) == [1]

    database = engine.database
    with database.session() as session:
        proposal = versions.propose(session, _onboarding_as("SUBSCRIPTION"), by="alice")
    assert proposal.material
    with database.session() as session, pytest.raises(RefdataError, match="second admin"):
        versions.activate(session, proposal.version, by="alice")
    pending, item = billed.post_invoice()
    assert item == services  # proposed is not active
    assert billed.version_of(pending) == [1]

    # what-if: the period's invoices re-mapped under the proposal, nothing posted
    period = str(found.netsuite["netsuite"].client.get_by_external_id(
        "invoice", before)["tranDate"])[:7]
    with database.session() as session:
        proposed = versions.bundle_of(versions.get(session, proposal.version))
    report = replay_period(database, found.systems, period,
                           before=RefdataBundle.from_files(), after=proposed)
    assert report.examined == 2
    assert set(report.changed) == {before, pending}
    (shift,) = [shift for shift in report.shifts if shift.kind == ERP_ITEM]
    assert (shift.legal_entity, shift.currency, shift.before, shift.after, shift.amount,
            shift.invoices) == ("US01", "USD", "SERVICES", "SUBSCRIPTION", Decimal("3000.00"), 2)
    # posted as a subscription item, its revenue is recognized as the subscriptions' is
    assert [(other.kind, other.before, other.after) for other in report.shifts
            if other.kind != ERP_ITEM] == [(REVENUE_ACCOUNT, "4100", "4000")]
    # the same through the command line, on the service's database and settings
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("ACCORD_CONFIG", str(_config(tmp_path, sandboxes)))
    shown = CliRunner().invoke(cli, ["refdata", "diff", str(proposal.version),
                                     "--replay", period])
    assert shown.exit_code == 0, shown.output
    assert "what-if" in shown.output
    assert "2 of 2 invoices would post differently" in shown.output
    assert "US01 USD: 3000.00 from ERP item SERVICES to SUBSCRIPTION (2 invoices)" \
        in shown.output
    for posted in (before, pending):  # the what-if changed nothing in the ERP
        record = found.netsuite["netsuite"].client.get_by_external_id("invoice", posted)
        assert str(record["item"]["items"][0]["item"]["id"]) == services

    with database.session() as session:
        versions.approve(session, proposal.version, by="bob")
        versions.activate(session, proposal.version, by="bob")
    after, item = billed.post_invoice()
    assert item == subscription == ref.items[shift.after].id  # as the what-if said
    assert billed.version_of(after) == [proposal.version]

    with database.session() as session:
        done = versions.rollback(session, by="carol")
    assert [use.canonical_id for use in done.affected] == [after]
    assert [c.describe() for c in done.changes] == [
        f"skus.skus.{SKU}.erp_item: 'SUBSCRIPTION' -> 'SERVICES'"]
    restored, item = billed.post_invoice()
    assert item == services
    assert billed.version_of(restored) == [1]
    # what was posted under the rolled-back version is left as it was, for a person
    record = found.netsuite["netsuite"].client.get_by_external_id("invoice", after)
    assert str(record["item"]["items"][0]["item"]["id"]) == subscription
    # the correction a person approves: replay its posting, mapped with the active version;
    # the ERP invoice is upserted on its canonical id, so it is corrected, not doubled
    (use,) = done.affected
    assert use.correlation_id is not None
    listed = CliRunner().invoke(cli, ["refdata", "postings", str(proposal.version)])
    assert listed.exit_code == 0, listed.output
    assert f"invoice {after} -> netsuite {use.system_id}; correct with: accord replay " \
           f"{use.correlation_id}" in listed.output
    corrected = replay(database, use.correlation_id, actor="dana")
    DBOS.retrieve_workflow(corrected.workflow_id).get_result()
    record = found.netsuite["netsuite"].client.get_by_external_id("invoice", after)
    assert str(record["item"]["items"][0]["item"]["id"]) == services
    assert str(record["id"]) == use.system_id
    assert billed.version_of(after) == [proposal.version, 1]
    assert exceptions(database) == []


def _revenue_account(item: str) -> RefdataBundle:
    shipped = RefdataBundle.from_files()
    skus = dict(shipped.skus.skus)
    skus[SKU] = skus[SKU].model_copy(update={"revenue_account": item})
    return shipped.model_copy(update={"skus": shipped.skus.model_copy(update={"skus": skus})})


def test_a_gl_account_change_needs_a_second_admin_and_is_recognized_as_the_what_if_said(
        engine, make_systems) -> None:
    """The onboarding SKU's revenue account (where its revenue is recognized) moves from
    4100 to 4200: not before a second admin approves; the what-if names the account and the
    amount; after activation new postings' revenue is recognized there, in the ERP's
    journal; a rollback restores 4100 for new postings and lists the one made meanwhile."""
    found: Vendors = make_systems()
    billed = Billed(engine, found)
    database = engine.database
    first, _item = billed.post_invoice()
    with database.session() as session:
        proposal = versions.propose(session, _revenue_account("4200"), by="alice")
    assert proposal.material
    assert [change.describe() for change in proposal.changes] == [
        f"skus.skus.{SKU}.revenue_account: '4100' -> '4200'"]
    with database.session() as session, pytest.raises(RefdataError, match="second admin"):
        versions.activate(session, proposal.version, by="alice")

    period = str(found.netsuite["netsuite"].client.get_by_external_id(
        "invoice", first)["tranDate"])[:7]
    with database.session() as session:
        proposed = versions.bundle_of(versions.get(session, proposal.version))
    report = replay_period(database, found.systems, period,
                           before=RefdataBundle.from_files(), after=proposed)
    (shift,) = report.shifts
    assert (shift.kind, shift.legal_entity, shift.currency, shift.before, shift.after,
            shift.amount, shift.invoices) == (REVENUE_ACCOUNT, "US01", "USD", "4100", "4200",
                                              Decimal("1500.00"), 1)

    with database.session() as session:
        versions.approve(session, proposal.version, by="bob")
        versions.activate(session, proposal.version, by="bob")
    second, _item = billed.post_invoice()
    with database.session() as session:
        accounts = {row.invoice_id: row.revenue_account
                    for row in session.scalars(select(RevenueScheduleRow))}
    assert accounts == {first: "4100", second: shift.after}

    run = recognize(database, found.systems, period, as_of=last_day(period))
    (result,) = run.results
    erp = found.netsuite["netsuite"]
    journal = erp.client.get_by_external_id("journalEntry", result.journal_id)
    credited: dict[str, Decimal] = {}
    for line in journal["line"]["items"]:
        if line.get("credit") is not None:
            number = erp.ref.account_number(str(line["account"]["id"]))
            credited[number] = credited.get(number, Decimal(0)) + Decimal(str(line["credit"]))
    assert credited == {"4100": Decimal("1500.00"), "4200": shift.amount}

    with database.session() as session:
        done = versions.rollback(session, by="carol")
    assert [use.canonical_id for use in done.affected] == [second]
    third, _item = billed.post_invoice()
    with database.session() as session:
        (row,) = session.scalars(select(RevenueScheduleRow).where(
            RevenueScheduleRow.invoice_id == third))
    assert row.revenue_account == "4100"


def test_a_bundle_is_checked_against_the_erps_it_posts_to(make_systems) -> None:
    from accord.refdata.validation import check_against_erps

    found: Vendors = make_systems()
    assert check_against_erps(RefdataBundle.from_files(), found.systems) == []
    problems = check_against_erps(_onboarding_as("NO-SUCH-ITEM"), found.systems)
    assert problems
    assert {problem.field for problem in problems} == {f"skus.skus.{SKU}.erp_item"}
    assert all("NO-SUCH-ITEM" in str(problem) for problem in problems)


def test_the_running_service_follows_activations_and_rollbacks(
        sandboxes, sqlite_url: str) -> None:
    """Flows that read the mapping from the service's systems (product master sync, deals,
    closed-won, usage) get the active version at every step: one active before start-up, one
    activated while the service runs, and a rollback, each without a restart."""
    database = Database(sqlite_url)
    upgrade(database.engine)
    try:
        with database.session() as session:
            versions.propose(session, _onboarding_as("SUBSCRIPTION"), by="alice")
            versions.approve(session, 2, by="bob")
            versions.activate(session, 2, by="bob")
        deployment = sandbox_deployment(sandboxes, sqlite_url)
        try:
            assert deployment.systems.skus.erp_item(SKU) == "SERVICES"  # files, until started
            with bootstrap.running(deployment, EngineOptions(database_url=sqlite_url)):
                assert systems().skus.erp_item(SKU) == "SUBSCRIPTION"
                assert systems().mappings().version == 2
                with database.session() as session:
                    versions.propose(session, _onboarding_as("USAGE"), by="alice")
                    versions.approve(session, 3, by="bob")
                    versions.activate(session, 3, by="bob")
                assert systems().skus.erp_item(SKU) == "USAGE"
                assert systems().mappings().version == 3
                with database.session() as session:
                    versions.rollback(session, by="carol")
                assert systems().skus.erp_item(SKU) == "SUBSCRIPTION"
                assert systems().mappings().version == 2
            assert deployment.systems.skus.erp_item(SKU) == "SERVICES"  # stopped: the files
        finally:
            deployment.close()
    finally:
        database.dispose()
