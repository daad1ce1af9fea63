"""Reconciliation runs and their differences, read through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from api_support import Api
from tests.steps import write_keys

from accord.api.tokens import Access
from accord.canonical import Money
from accord.engine.exception_queue import Problem, open_exception
from accord.engine.owners import OwnerRules
from accord.errors import DataQualityError, Team
from accord.flows.keys import Key
from accord.reconcile import RecordView
from accord.reconcile.runs import Comparison, run_reconciliation
from accord.store.models import ExceptionRecord, ReconDifference, ReconRun


def seed(api: Api) -> tuple[int, int]:
    with api.db.session() as session:
        older = ReconRun(period="2026-01", systems="stripe,netsuite", status="finished",
                         started_at=datetime(2026, 2, 1, 6, tzinfo=UTC),
                         finished_at=datetime(2026, 2, 1, 6, 5, tzinfo=UTC),
                         totals={"stripe": {"invoiced": "1000.00"}}, difference_count=0)
        newer = ReconRun(period="2026-02", systems="stripe,netsuite", status="finished",
                         started_at=datetime(2026, 3, 1, 6, tzinfo=UTC),
                         finished_at=datetime(2026, 3, 1, 6, 7, tzinfo=UTC),
                         totals={"stripe": {"invoiced": "2085.00"},
                                 "netsuite": {"invoiced": "1085.00"}}, difference_count=3)
        opened = ExceptionRecord(fingerprint="r1", kind="data_quality",
                                 owner="finance_operations", reason="missing in netsuite")
        session.add_all([older, newer, opened])
        session.flush()
        session.add_all([
            ReconDifference(run_id=newer.id, fingerprint="d1", kind="missing", entity="invoice",
                            key="INV-2", source_system="stripe", target_system="netsuite",
                            expected="1000.00", actual=None, owner="finance_operations",
                            exception_id=opened.id),
            ReconDifference(run_id=newer.id, fingerprint="d2", kind="amount", entity="invoice",
                            key="INV-1", source_system="stripe", target_system="netsuite",
                            expected="1085.00", actual="1080.00", owner="finance_operations"),
            ReconDifference(run_id=newer.id, fingerprint="d3", kind="missing", entity="payment",
                            key="py_9", source_system="stripe", target_system="netsuite",
                            expected="50.00", actual=None, owner="finance_operations"),
        ])
        return older.id, newer.id


def test_runs_newest_first_with_filters(api: Api) -> None:
    older, newer = seed(api)
    with api.client(Access.VIEWER) as client:
        runs = client.get("/v1/reconciliation/runs").json()
        assert [(r["id"], r["period"], r["difference_count"]) for r in runs] == [
            (newer, "2026-02", 3), (older, "2026-01", 0)]
        assert runs[0]["totals"]["netsuite"] == {"invoiced": "1085.00"}
        january = client.get("/v1/reconciliation/runs", params={"period": "2026-01"}).json()
        assert [r["id"] for r in january] == [older]
        paged = client.get("/v1/reconciliation/runs", params={"limit": 1, "offset": 1}).json()
        assert [r["id"] for r in paged] == [older]
        assert client.get("/v1/reconciliation/runs",
                          params={"period": "2026-13"}).status_code == 422


def test_run_detail_lists_differences_with_their_exceptions(api: Api) -> None:
    _older, newer = seed(api)
    with api.client(Access.VIEWER) as client:
        detail = client.get(f"/v1/reconciliation/runs/{newer}").json()
        assert detail["differences_by_kind"] == {"amount": 1, "missing": 2}
        assert [(d["entity"], d["key"], d["kind"], d["expected"], d["actual"],
                 d["exception_status"]) for d in detail["differences"]] == [
            ("invoice", "INV-1", "amount", "1085.00", "1080.00", None),
            ("invoice", "INV-2", "missing", "1000.00", None, "open"),
            ("payment", "py_9", "missing", "50.00", None, None)]
        missing = client.get(f"/v1/reconciliation/runs/{newer}",
                             params={"kind": "missing", "entity": "payment"}).json()
        assert [d["key"] for d in missing["differences"]] == ["py_9"]
        absent = client.get("/v1/reconciliation/runs/999999")
        assert absent.status_code == 404
        assert absent.json()["detail"] == "run_id: no reconciliation run 999999"
    with api.client(None) as anonymous:
        assert anonymous.get("/v1/reconciliation/runs").status_code == 401


def test_an_exception_lists_the_differences_it_explains_and_counts_once(api: Api) -> None:
    """A payment flow refused on its invoice: reconciliation finds the invoice and the
    payment missing and attaches both to that one exception."""
    cause = open_exception(api.db, OwnerRules(), Problem(
        error=DataQualityError("period", "the accounting period Nov 2026 is closed",
                               owner=Team.FINANCE_OPERATIONS).to_record(),
        correlation_id="stripe:evt_7", workflow_id=None, flow="payment_posting",
        step="netsuite.post_invoice", system="netsuite", entity=Key.BILLING_INVOICE_ID,
        record_ref="in_7"))
    write_keys(api.db, "stripe:evt_7", {Key.BILLING_INVOICE_ID: "in_7",
                                        Key.INVOICE_NUMBER: "INV-7", Key.PAYMENT_ID: "pay_7"})
    usd = Money.of("39.50", "USD")
    run = run_reconciliation(api.db, OwnerRules(), [
        Comparison("invoice", "stripe", "netsuite",
                   lambda: [RecordView("INV-7", "in_7", usd)], lambda: []),
        Comparison("payment", "stripe", "netsuite",
                   lambda: [RecordView("pay_7", "ch_7", usd)], lambda: [])])
    with api.client(Access.VIEWER) as client:
        queue = client.get("/v1/exceptions").json()
        detail = client.get(f"/v1/exceptions/{cause}").json()
        kpis = client.get("/v1/kpis").json()
    assert [(e["id"], e["differences"]) for e in queue] == [(cause, 2)]
    assert [(d["entity"], d["key"], d["kind"], d["run_id"]) for d in detail["differences"]] == [
        ("invoice", "INV-7", "missing_in_target", run.run_id),
        ("payment", "pay_7", "missing_in_target", run.run_id)]
    assert (kpis["open_exceptions"], kpis["differences_explained"]) == (1, 2)
    with api.client(None) as browser:
        # the console signs in with the token and keeps only a session id
        assert browser.post("/console/login", data={"token": api.tokens[Access.VIEWER]},
                            headers={"Origin": api.url}).status_code == 303
        page = browser.get(f"/console/exceptions/{cause}")
    assert "Reconciliation differences it explains (2)" in page.text
    assert 'data-key="INV-7"' in page.text
    assert 'data-key="pay_7"' in page.text
