"""Reconciliation runs and their differences, read through the API."""

from __future__ import annotations

from datetime import UTC, datetime

from api_support import Api

from accord.api.tokens import Role
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
    with api.client(Role.VIEWER) as client:
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
    with api.client(Role.VIEWER) as client:
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
