"""KPIs: seed the store, the timeline and DBOS's workflow table, then check every figure."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_support import serve_api
from dbos._schemas import SCHEMA_PLACEHOLDER
from dbos._schemas.system_database import SystemSchema
from sqlalchemy import text
from sqlalchemy.orm import Session

from accord.api.kpis import percentile, report, workflow_table
from accord.canonical.ids import EntityType
from accord.connectors.salesforce import LIMITS as SALESFORCE_LIMITS
from accord.registry import Xrefs
from accord.store import Database, upgrade
from accord.store.models import BusinessKey, ExceptionRecord, InboxEntry, TimelineEntry

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def step(session: Session, cid: str, at: datetime, action: str = "work", *,
         system: str | None = None, outcome: str = "ok", attempt: int = 1) -> None:
    session.add(TimelineEntry(correlation_id=cid, flow="q2c", step=action, action=action,
                              system=system, outcome=outcome, attempt=attempt, occurred_at=at))


def keyed(session: Session, cid: str, kind: str, value: str) -> None:
    session.add(BusinessKey(correlation_id=cid, kind=kind, value=value))


@pytest.fixture
def db(database_url: str) -> Database:
    database = Database(database_url)
    upgrade(database.engine)
    return database


def test_percentiles_use_the_nearest_rank() -> None:
    assert percentile([], 0.5) is None
    assert percentile([5.0], 0.95) == 5.0
    assert percentile([4.0, 1.0, 3.0, 2.0], 0.5) == 2.0
    assert percentile([float(n) for n in range(1, 101)], 0.95) == 95.0


def test_business_kpis_from_traces_milestones_and_exceptions(db: Database) -> None:
    with db.session() as session:
        # orders: one pending for 2 h, one activated, one whose activation failed (26 h)
        for cid, start in (("o1", ago(hours=2)), ("o2", ago(hours=30)), ("o3", ago(hours=26))):
            keyed(session, cid, "opportunity_id", f"006{cid}")
            step(session, cid, start, "validate_deal")
        step(session, "o2", ago(hours=29), "activate_subscription", system="stripe")
        step(session, "o3", ago(hours=25), "activate_subscription", system="stripe",
             outcome="error")
        # invoices posted after 60, 120, 180, 240 s; one 3000 s after its Stripe event
        for n, latency in enumerate((60, 120, 180, 240), start=1):
            keyed(session, f"i{n}", "invoice_number", f"INV-{n}")
            step(session, f"i{n}", ago(hours=n), "map_invoice")
            step(session, f"i{n}", ago(hours=n) + timedelta(seconds=latency), "post_invoice",
                 system="netsuite-eu")
        keyed(session, "stripe:evt_5", "invoice_number", "INV-5")
        session.add(InboxEntry(system="stripe", external_event_id="evt_5",
                               event_type="invoice.finalized", payload={},
                               occurred_at=ago(hours=6), status="started"))
        step(session, "stripe:evt_5", ago(hours=6) + timedelta(seconds=1000), "map_invoice")
        step(session, "stripe:evt_5", ago(hours=6) + timedelta(seconds=3000), "post_invoice",
             system="netsuite")
        # posted 40 days ago: outside the 30-day window; one not posted for 90 minutes
        keyed(session, "i_old", "invoice_number", "INV-OLD")
        step(session, "i_old", ago(days=40), "map_invoice")
        step(session, "i_old", ago(days=40) + timedelta(hours=20), "post_invoice",
             system="netsuite")
        keyed(session, "i6", "invoice_number", "INV-6")
        step(session, "i6", ago(minutes=90), "map_invoice")
        step(session, "i6", ago(minutes=80), "post_invoice", system="netsuite",
             outcome="error")
        # payments: one posted after 600 s and reflected in the CRM, one after 1200 s, not
        keyed(session, "p1", "payment_id", "py_1")
        step(session, "p1", ago(hours=3), "record_payment", system="stripe")
        step(session, "p1", ago(hours=3) + timedelta(seconds=600), "post_payment",
             system="netsuite")
        step(session, "p1", ago(hours=3) + timedelta(seconds=700), "update_account",
             system="salesforce")
        keyed(session, "p2", "payment_id", "py_2")
        step(session, "p2", ago(minutes=50), "record_payment", system="stripe")
        step(session, "p2", ago(minutes=50) + timedelta(seconds=1200), "post_payment",
             system="netsuite")
        step(session, "p2", ago(minutes=10), "update_account", system="salesforce",
             outcome="error")
        # validation exceptions: a probable duplicate (unmatched customer), an unknown SKU
        session.add_all([
            ExceptionRecord(fingerprint="e1", kind="data_quality", owner="master_data",
                            entity_type="customer", reason="probable duplicate of cus_x: "
                            "same domain, another name"),
            ExceptionRecord(fingerprint="e2", kind="data_quality", owner="revenue_operations",
                            entity_type="invoice", reason="sku unknown"),
            ExceptionRecord(fingerprint="e3", kind="data_quality", owner="master_data",
                            entity_type="customer", reason="probable duplicate of cus_y",
                            status="resolved"),
            ExceptionRecord(fingerprint="e4", kind="transient", owner="integration_engineering",
                            reason="503")])
        xrefs = Xrefs(session)
        for system, system_id in (("stripe", "cus_A"), ("salesforce", "001A"),
                                  ("netsuite-eu", "17")):
            xrefs.link("cus_aaaaaaaaaaaaaaaaaaaaaaaaaa", EntityType.CUSTOMER, system, system_id)
        xrefs.link("cus_bbbbbbbbbbbbbbbbbbbbbbbbbb", EntityType.CUSTOMER, "stripe", "cus_B")

    with db.session() as session:
        kpis = report(session, db.engine, now=NOW)
    business = kpis.business
    assert business.orders_pending_activation.model_dump() == {
        "count": 2, "oldest_seconds": 26 * 3600.0, "older_than_1h": 2, "older_than_24h": 1}
    assert business.invoices_not_posted.model_dump() == {
        "count": 1, "oldest_seconds": 5400.0, "older_than_1h": 1, "older_than_24h": 0}
    assert business.invoice_posting_latency.model_dump() == {
        "count": 5, "p50_seconds": 180.0, "p95_seconds": 3000.0}
    assert business.payment_update_lag.model_dump() == {
        "count": 2, "p50_seconds": 600.0, "p95_seconds": 1200.0}
    assert business.payments_not_in_crm.model_dump() == {
        "count": 1, "oldest_seconds": 3000.0, "older_than_1h": 0, "older_than_24h": 0}
    assert business.unmatched_customers == 1
    assert [(c.key, c.count) for c in business.customers_missing_links] == [
        ("crm", 1), ("billing", 0), ("erp", 1)]
    assert business.blocked_by_validation == 2
    assert [(c.key, c.count) for c in business.blocked_by_entity] == [
        ("customer", 1), ("invoice", 1)]
    assert kpis.technical.queue_depth is None  # the engine never ran on this database
    assert kpis.open_exceptions == 3

    with db.session() as session:
        wider = report(session, db.engine, now=NOW, window_days=60)
    assert wider.business.invoice_posting_latency.count == 6
    assert wider.business.invoice_posting_latency.p95_seconds == 20 * 3600.0
    db.dispose()


def _dbos_tables(db: Database) -> None:
    postgres = db.engine.dialect.name == "postgresql"
    if postgres:
        with db.engine.begin() as connection:
            connection.execute(text("CREATE SCHEMA IF NOT EXISTS dbos"))
    engine = db.engine.execution_options(
        schema_translate_map={SCHEMA_PLACEHOLDER: "dbos" if postgres else None})
    SystemSchema.workflow_status.create(engine)
    rows = [("w1", "ENQUEUED", "customer", 0), ("w2", "ENQUEUED", "customer", 0),
            ("w3", "ENQUEUED", "customer", 0), ("w4", "PENDING", "customer", 1),
            ("w5", "ENQUEUED", "intake", 0), ("w6", "SUCCESS", None, 1),
            ("w7", "ERROR", None, 3)]
    with engine.begin() as connection:
        connection.execute(SystemSchema.workflow_status.insert(), [
            {"workflow_uuid": uuid, "status": status, "queue_name": queue, "name": "flow",
             "recovery_attempts": attempts, "created_at": 1, "updated_at": 1, "priority": 0,
             "inputs": "{}"} for uuid, status, queue, attempts in rows])


def test_technical_kpis_queue_depth_retries_errors_and_api_usage(db: Database) -> None:
    _dbos_tables(db)
    assert workflow_table(db.engine) in ("workflow_status", "dbos.workflow_status")
    with db.session() as session:
        step(session, "c1", ago(seconds=30), "get_account", system="salesforce")
        step(session, "c1", ago(seconds=30), "get_contract", system="salesforce")
        step(session, "c1", ago(minutes=20), "update_account", system="salesforce",
             outcome="error")
        step(session, "c1", ago(minutes=19), "update_account", system="salesforce",
             attempt=2)
        step(session, "c2", ago(hours=5), "post_invoice", system="netsuite-eu")
        step(session, "c2", ago(hours=30), "post_invoice", system="netsuite-eu")
        step(session, "c3", ago(hours=2), "validate_deal")
        session.add_all([InboxEntry(system="stripe", external_event_id=f"evt_{n}",
                                    event_type="invoice.paid", payload={}, status=status)
                         for n, status in enumerate(("received", "received", "started"))])
    with db.session() as session:
        technical = report(session, db.engine, now=NOW).technical
    assert [q.model_dump() for q in technical.queue_depth or []] == [
        {"queue": "customer", "waiting": 3, "running": 1},
        {"queue": "intake", "waiting": 1, "running": 0}]
    assert [(c.key, c.count) for c in technical.workflows_by_status or []] == [
        ("ENQUEUED", 4), ("ERROR", 1), ("PENDING", 1), ("SUCCESS", 1)]
    assert technical.workflow_recoveries == 1
    assert technical.inbox_backlog == 2
    assert (technical.steps_last_24h, technical.step_errors_last_24h,
            technical.retries_last_24h, technical.error_rate_last_24h) == (6, 1, 1, 0.1667)
    usage = {u.system: u for u in technical.api_usage}
    assert sorted(usage) == ["netsuite-eu", "salesforce"]
    salesforce = usage["salesforce"]
    assert (salesforce.calls_last_hour, salesforce.calls_last_24h,
            salesforce.busiest_second_last_hour, salesforce.daily_limit,
            salesforce.daily_used_ratio, salesforce.max_concurrency) == (
        4, 4, 2, SALESFORCE_LIMITS.daily_requests, 0.00004, 25)
    netsuite = usage["netsuite-eu"]
    assert (netsuite.calls_last_hour, netsuite.calls_last_24h, netsuite.daily_limit) == (
        0, 1, None)
    db.dispose()


def test_kpis_endpoint_serves_the_report(database_url: str) -> None:
    with serve_api(database_url) as api:
        started = datetime.now(UTC) - timedelta(hours=1)
        with api.db.session() as session:
            keyed(session, "i1", "invoice_number", "INV-1")
            step(session, "i1", started, "map_invoice")
            step(session, "i1", started + timedelta(seconds=90), "post_invoice",
                 system="netsuite")
        with api.client() as client:
            body = client.get("/v1/kpis").json()
            assert client.get("/v1/kpis", params={"window_days": 0}).status_code == 422
    assert body["business"]["invoice_posting_latency"] == {
        "count": 1, "p50_seconds": 90.0, "p95_seconds": 90.0}
    assert body["business"]["invoices_not_posted"]["count"] == 0
    assert body["window_days"] == 30
    assert body["technical"]["steps_last_24h"] == 2


def test_daily_history_counts_steps_errors_and_postings(db: Database) -> None:
    from accord.api.kpis import history

    with db.session() as session:
        step(session, "a", ago(hours=1), "post_invoice", system="netsuite")
        step(session, "a", ago(hours=2), "post_invoice", system="netsuite", outcome="error")
        step(session, "b", ago(days=1), "post_payment", system="netsuite")
        step(session, "b", ago(days=1, hours=1), "post_invoice", system="netsuite")
        step(session, "c", ago(days=13), "validate_deal")
        step(session, "c", ago(days=14), "validate_deal")  # before the first day shown
    with db.session() as session:
        days = history(session, NOW, days=14)
    assert len(days) == 14
    assert (days[0].day, days[-1].day) == (ago(days=13).date(), NOW.date())
    assert [(d.steps, d.errors, d.invoices_posted, d.payments_posted)
            for d in (days[-1], days[-2], days[0])] == [(2, 1, 1, 0), (2, 0, 1, 1),
                                                         (1, 0, 0, 0)]
    assert sum(d.steps for d in days) == 5
    db.dispose()
