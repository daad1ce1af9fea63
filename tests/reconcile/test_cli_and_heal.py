"""``accord reconcile`` against the sandboxes, and healing through a registered healer."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from accord.cli import app
from accord.connectors.netsuite.posting import NetSuitePoster
from accord.connectors.stripe import mapping
from accord.engine.owners import OwnerRule, OwnerRules
from accord.errors import Team
from accord.reconcile.differences import Difference, DifferenceKind
from accord.reconcile.heal import HEALERS, Healers, HealResult
from accord.reconcile.service import reconcile
from accord.store.models import ExceptionRecord

from .test_planted import plant
from .world import Sandboxes, World

runner = CliRunner()


def point_settings_at(monkeypatch: pytest.MonkeyPatch, sandboxes: Sandboxes,
                      database_url: str) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", database_url)
    stripe = sandboxes.stripe_settings()
    assert stripe.api_key is not None
    monkeypatch.setenv("ACCORD_STRIPE_BASE_URL", str(stripe.base_url))
    monkeypatch.setenv("ACCORD_STRIPE_API_KEY", stripe.api_key.get_secret_value())
    for name, value in sandboxes.netsuite.credentials().items():
        monkeypatch.setenv(f"ACCORD_NETSUITE_{name.upper()}", value)
    creds = sandboxes.salesforce.credentials()
    monkeypatch.setenv("ACCORD_SALESFORCE_INSTANCE_URL", creds["instance_url"])
    monkeypatch.setenv("ACCORD_SALESFORCE_SESSION_ID", creds["session_id"])
    monkeypatch.setenv("ACCORD_SALESFORCE_CA_CERT", creds["ca_cert"])
    monkeypatch.setenv("ACCORD_SALESFORCE_API_VERSION", creds["api_version"])


def test_cli_reports_clean_then_each_planted_difference(
        baseline: World, sandboxes: Sandboxes, sqlite_url: str, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    point_settings_at(monkeypatch, sandboxes, sqlite_url)
    ledger = tmp_path / "erp.beancount"
    clean = runner.invoke(app, ["reconcile", "--json", "--ledger", str(ledger)])
    assert clean.exit_code == 0, clean.output
    data = json.loads(clean.output)
    assert (data["clean"], data["differences"], data["total_differences"], data["gl"]) == (
        True, [], [], [])
    assert "open" in ledger.read_text()

    keys = plant(baseline)
    monkeypatch.setenv("COLUMNS", "240")
    table = runner.invoke(app, ["reconcile", "--systems", "stripe,netsuite"],
                          terminal_width=200)
    assert table.exit_code == 1
    assert "control totals" in table.output
    assert keys["A"] in table.output
    assert "missing_in_target" in table.output
    # Salesforce was not read: no subscription comparison
    assert "status_mismatch" not in table.output

    full = runner.invoke(app, ["reconcile", "--json"])
    assert full.exit_code == 1
    kinds = sorted(d["kind"] for d in json.loads(full.output)["differences"])
    assert kinds == ["amount_mismatch", "currency_mismatch", "duplicate_in_target",
                     "missing_in_target", "orphan", "status_mismatch"]


def test_cli_refuses_a_bad_period_and_unknown_system() -> None:
    bad = runner.invoke(app, ["reconcile", "--period", "2026-13"])
    assert bad.exit_code == 2
    assert "YYYY-MM" in bad.output
    unknown = runner.invoke(app, ["reconcile", "--systems", "sap"], terminal_width=200)
    assert unknown.exit_code == 2
    assert "unknown or not configured: sap" in unknown.output


def test_heal_redrives_the_missing_posting_through_its_healer_and_rechecks(
        baseline: World) -> None:
    plant(baseline)
    posted: list[str] = []
    healers = Healers()

    @healers.register("invoice", target="netsuite")
    def repost(difference: Difference) -> HealResult:
        """Stands in for the invoice flow: maps the Stripe invoice and posts it again."""
        stripe_invoice = next(inv for inv in baseline.invoices.values()
                              if inv["number"] == difference.key)
        invoice = mapping.invoice_from_stripe(stripe_invoice, customer_id=baseline.customer.id,
                                              legal_entity="US01")
        posted.append(NetSuitePoster(baseline.netsuite, baseline.ref).post_invoice(invoice))
        return HealResult.REDRIVEN

    routing = OwnerRules(rules=(OwnerRule(kind="reconciliation", entity="subscription",
                                              owner=Team.REVENUE_OPERATIONS),))
    outcome = reconcile(baseline.database, routing, baseline.by_role(), healers=healers)
    assert [(a.difference.kind, a.result) for a in outcome.healed] == [
        (DifferenceKind.MISSING_IN_TARGET, HealResult.REDRIVEN)]
    assert len(posted) == 1
    assert outcome.first is not None
    assert len(outcome.first.differences) == 6
    assert sorted(d.kind.value for d in outcome.report.differences) == [
        "amount_mismatch", "currency_mismatch", "duplicate_in_target", "orphan",
        "status_mismatch"]
    assert len(outcome.report.closed_exceptions) == 1
    with baseline.database.session() as session:
        rows = session.scalars(select(ExceptionRecord)).all()
    states = sorted((row.field, row.status, row.owner) for row in rows)
    assert ("missing_in_target", "resolved", "integration_engineering") in states
    assert ("status_mismatch", "open", "revenue_operations") in states


@pytest.fixture
def engine_logs_outlive_the_runner() -> Iterator[None]:
    """``--heal`` starts the engine inside the CLI runner, whose captured stream closes
    afterwards: drop the log handler the engine bound to it, so later engines start clean."""
    logger = logging.getLogger("dbos")
    before = list(logger.handlers)
    yield
    for handler in [h for h in logger.handlers if h not in before]:
        logger.removeHandler(handler)


@pytest.mark.usefixtures("engine_logs_outlive_the_runner")
def test_cli_heal_uses_the_healers_flows_registered_and_ends_clean(
        baseline: World, sandboxes: Sandboxes, sqlite_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    point_settings_at(monkeypatch, sandboxes, sqlite_url)
    baseline.netsuite.delete("invoice", baseline.netsuite_invoices["A"])

    def repost(difference: Difference) -> HealResult:
        """Stands in for the invoice flow (the flows' own healer needs their systems)."""
        invoice = mapping.invoice_from_stripe(baseline.invoices["A"],
                                              customer_id=baseline.customer.id,
                                              legal_entity="US01")
        assert invoice.number == difference.key
        NetSuitePoster(baseline.netsuite, baseline.ref).post_invoice(invoice)
        return HealResult.REDRIVEN

    with HEALERS.replaced("invoice", target="netsuite", healer=repost):
        result = runner.invoke(app, ["reconcile", "--heal", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["healed"] == [{"entity": "invoice", "key": baseline.invoices["A"]["number"],
                               "result": "redriven", "detail": None}]
    assert data["differences"] == []
    assert len(data["closed_exceptions"]) == 1
