"""KPIs on edge cases a real month does not produce (ages, windows, a record whose own flow
failed while another flow posted it, a failed CRM write-back), written through the engine's
own timeline writer and exception queue. The figures of a real month are checked against
the sandboxes in ``tests/operations/test_month_kpis.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from api_support import serve_api
from dbos._schemas import SCHEMA_PLACEHOLDER
from dbos._schemas.system_database import SystemSchema
from sqlalchemy import text
from tests.steps import write_keys, write_step

from accord.api.kpis import history, percentile, report, workflow_table
from accord.canonical.ids import EntityType
from accord.connectors.salesforce import LIMITS as SALESFORCE_LIMITS
from accord.engine.exception_queue import Problem, open_exception, resolve_exception
from accord.engine.owners import OwnerRules
from accord.engine.timeline import Milestone, StepOutcome
from accord.errors import DataQualityError, Team, TransientError
from accord.flows.closed_won import MATCH_CUSTOMER_STEP
from accord.flows.keys import Key
from accord.registry import Xrefs
from accord.store import Database, upgrade
from accord.store.models import InboxEntry

NOW = datetime(2026, 3, 14, 12, 0, tzinfo=UTC)
FAILED, RETRYING = StepOutcome.FAILED, StepOutcome.RETRYING


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


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


def _problem(error: dict[str, object], step: str, entity: str, ref: str) -> Problem:
    return Problem(error=error, correlation_id=f"c-{ref}", workflow_id=None, flow="test",
                   step=step, system="salesforce", entity=entity, record_ref=ref)


def test_business_kpis_count_records_by_the_milestones_their_flows_declare(
        db: Database) -> None:
    # orders: one pending for 2 h; one activated (and re-run since, reaching nothing: it
    # stays activated); one whose activation failed 25 h ago; one activated whose CRM
    # write-back failed
    for cid, opportunity, start in (("o1", "006A", ago(hours=2)), ("o2", "006B", ago(hours=30)),
                                    ("o2-again", "006B", ago(hours=1)),
                                    ("o3", "006C", ago(hours=26)), ("o4", "006D", ago(hours=5))):
        write_keys(db, cid, {Key.DEAL_ID: opportunity})
        write_step(db, cid, "salesforce.read_deal", system="salesforce", at=start)
    write_step(db, "o2", "stripe.create_subscription", system="stripe", at=ago(hours=29),
               milestone=Milestone.ORDER_ACTIVATED)
    write_step(db, "o2", "salesforce.write_back", system="salesforce", at=ago(hours=29),
               milestone=Milestone.CRM_UPDATED)
    write_step(db, "o3", "stripe.create_subscription", system="stripe", at=ago(hours=25),
               outcome=FAILED)
    write_step(db, "o4", "stripe.create_subscription", system="stripe", at=ago(hours=4),
               milestone=Milestone.ORDER_ACTIVATED)
    write_step(db, "o4", "salesforce.write_back", system="salesforce", at=ago(hours=4),
               outcome=FAILED)
    # invoices posted 60, 120, 180, 240 s after they started; one 3000 s after its event
    for n, latency in enumerate((60, 120, 180, 240), start=1):
        write_keys(db, f"i{n}", {Key.INVOICE_NUMBER: f"INV-{n}"})
        write_step(db, f"i{n}", "stripe.read_invoice", at=ago(hours=n))
        write_step(db, f"i{n}", "netsuite.post_invoice", system="netsuite-eu",
                   at=ago(hours=n) + timedelta(seconds=latency),
                   milestone=Milestone.INVOICE_POSTED)
    write_keys(db, "stripe:evt_5", {Key.INVOICE_NUMBER: "INV-5"})
    with db.session() as session:
        session.add(InboxEntry(system="stripe", external_event_id="evt_5",
                               event_type="invoice.finalized", payload={},
                               occurred_at=ago(hours=6), status="started"))
    write_step(db, "stripe:evt_5", "stripe.read_invoice", at=ago(hours=6, seconds=-1000))
    write_step(db, "stripe:evt_5", "netsuite.post_invoice", system="netsuite",
               at=ago(hours=6, seconds=-3000), milestone=Milestone.INVOICE_POSTED)
    # posted 40 days ago: outside the 30-day window; one refused 80 minutes ago
    write_keys(db, "i-old", {Key.INVOICE_NUMBER: "INV-OLD"})
    write_step(db, "i-old", "stripe.read_invoice", at=ago(days=40))
    write_step(db, "i-old", "netsuite.post_invoice", system="netsuite",
               at=ago(days=40, hours=-20), milestone=Milestone.INVOICE_POSTED)
    write_keys(db, "i6", {Key.INVOICE_NUMBER: "INV-6"})
    write_step(db, "i6", "stripe.read_invoice", at=ago(minutes=90))
    write_step(db, "i6", "netsuite.post_invoice", system="netsuite", at=ago(minutes=80),
               outcome=FAILED)
    # INV-7: its own flow failed, its payment's flow (which came first) posted it
    write_keys(db, "i7", {Key.INVOICE_NUMBER: "INV-7"})
    write_step(db, "i7", "stripe.read_invoice", at=ago(hours=4))
    write_step(db, "i7", "netsuite.post_invoice", system="netsuite", at=ago(hours=4),
               outcome=FAILED)
    write_keys(db, "p7", {Key.INVOICE_NUMBER: "INV-7", Key.PAYMENT_ID: "pay_7"})
    write_step(db, "p7", "stripe.read_payment", at=ago(hours=3))
    write_step(db, "p7", "netsuite.post_invoice", system="netsuite",
               at=ago(hours=3, seconds=-100), milestone=Milestone.INVOICE_POSTED)
    write_step(db, "p7", "netsuite.post_payment", system="netsuite",
               at=ago(hours=3, seconds=-200), milestone=Milestone.PAYMENT_POSTED)
    # payments posted after 600 and 1200 s; one noted, then refused before posting
    for cid, payment, start, latency in (("p1", "pay_1", ago(hours=3), 600),
                                         ("p2", "pay_2", ago(minutes=50), 1200)):
        write_keys(db, cid, {Key.PAYMENT_ID: payment})
        write_step(db, cid, "stripe.read_payment", at=start)
        write_step(db, cid, "netsuite.post_payment", system="netsuite",
                   at=start + timedelta(seconds=latency), milestone=Milestone.PAYMENT_POSTED)
    write_keys(db, "p8", {Key.PAYMENT_ID: "pay_8"})
    write_step(db, "p8", "stripe.read_payment", at=ago(minutes=20))
    write_step(db, "p8", "netsuite.post_invoice", system="netsuite", at=ago(minutes=19),
               outcome=FAILED)
    # the exception queue: a probable duplicate (a person decides the match), an unknown
    # SKU, a probable duplicate already resolved, an outage
    rules = OwnerRules()
    duplicate = DataQualityError("legal_name", "probable duplicate of cus_x: same domain")
    open_exception(db, rules, _problem(duplicate.to_record(), MATCH_CUSTOMER_STEP,
                                       Key.DEAL_ID, "006E"))
    sku = DataQualityError("sku", "unknown SKU", owner=Team.REVENUE_OPERATIONS)
    open_exception(db, rules, _problem(sku.to_record(), "salesforce.validate_deal",
                                       Key.BILLING_INVOICE_ID, "in_9"))
    resolved = open_exception(db, rules, _problem(duplicate.to_record(), MATCH_CUSTOMER_STEP,
                                                  Key.DEAL_ID, "006F"))
    resolve_exception(db, resolved, actor="test", note="merged by hand")
    open_exception(db, rules, _problem(TransientError("503").to_record(),
                                       "netsuite.post_invoice", Key.BILLING_INVOICE_ID, "in_1"))
    with db.session() as session:
        xrefs = Xrefs(session)
        for system, system_id in (("stripe", "cus_A"), ("salesforce", "001A"),
                                  ("netsuite-eu", "17")):
            xrefs.link("cus_aaaaaaaaaaaaaaaaaaaaaaaaaa", EntityType.CUSTOMER, system, system_id)
        xrefs.link("cus_bbbbbbbbbbbbbbbbbbbbbbbbbb", EntityType.CUSTOMER, "stripe", "cus_B")

    with db.session() as session:
        kpis = report(session, db.engine, now=NOW)
    business = kpis.business
    assert business.orders_activated == 2
    assert business.orders_pending_activation.model_dump() == {
        "count": 2, "oldest_seconds": 26 * 3600.0, "older_than_1h": 2, "older_than_24h": 1,
        "keys": ["006C", "006A"]}
    assert business.orders_not_in_crm.model_dump() == {
        "count": 1, "oldest_seconds": 5 * 3600.0, "older_than_1h": 1, "older_than_24h": 0,
        "keys": ["006D"]}
    assert business.invoices_posted == 6
    assert business.invoices_not_posted.model_dump() == {
        "count": 1, "oldest_seconds": 5400.0, "older_than_1h": 1, "older_than_24h": 0,
        "keys": ["INV-6"]}
    # INV-7 from the start of its first trace to the posting by its payment's flow
    assert business.invoice_posting_latency.model_dump() == {
        "count": 6, "p50_seconds": 180.0, "p95_seconds": 3700.0}
    assert business.payments_posted == 3
    assert business.payments_not_posted.keys == ["pay_8"]
    assert business.payment_update_lag.model_dump() == {
        "count": 3, "p50_seconds": 600.0, "p95_seconds": 1200.0}
    assert business.unmatched_customers == 1
    assert [(c.key, c.count) for c in business.customers_missing_links] == [
        ("crm", 1), ("billing", 0), ("erp", 1)]
    assert business.blocked_by_validation == 2
    assert [(c.key, c.count) for c in business.blocked_by_entity] == [
        (Key.BILLING_INVOICE_ID, 1), (Key.DEAL_ID, 1)]  # by kind
    assert kpis.technical.queue_depth is None  # the engine never ran on this database
    assert kpis.open_exceptions == 3

    with db.session() as session:
        wider = report(session, db.engine, now=NOW, window_days=60)
    assert wider.business.invoices_posted == 7
    assert wider.business.invoice_posting_latency.count == 7
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


def test_technical_kpis_count_failed_steps_as_errors_and_retried_attempts(
        db: Database) -> None:
    _dbos_tables(db)
    assert workflow_table(db.engine) in ("workflow_status", "dbos.workflow_status")
    write_step(db, "c1", "salesforce.get_account", system="salesforce", at=ago(seconds=30))
    write_step(db, "c1", "salesforce.get_contract", system="salesforce", at=ago(seconds=30))
    write_step(db, "c1", "salesforce.update_account", system="salesforce", at=ago(minutes=20),
               outcome=RETRYING)
    write_step(db, "c1", "salesforce.update_account", system="salesforce", at=ago(minutes=19),
               attempt=2)
    write_step(db, "c2", "netsuite.post_invoice", system="netsuite-eu", at=ago(hours=5))
    write_step(db, "c2", "netsuite.post_invoice", system="netsuite-eu", at=ago(hours=30))
    write_step(db, "c3", "salesforce.validate_deal", at=ago(hours=2), outcome=FAILED)
    with db.session() as session:
        session.add_all([InboxEntry(system="stripe", external_event_id=f"evt_{n}",
                                    event_type="invoice.paid", payload={}, status=status)
                         for n, status in enumerate(("received", "received", "started"))])
    with db.session() as session:
        kpis = report(session, db.engine, now=NOW)
    technical = kpis.technical
    assert [q.model_dump() for q in technical.queue_depth or []] == [
        {"queue": "customer", "waiting": 3, "running": 1},
        {"queue": "intake", "waiting": 1, "running": 0}]
    assert [(c.key, c.count) for c in technical.workflows_by_status or []] == [
        ("ENQUEUED", 4), ("ERROR", 1), ("PENDING", 1), ("SUCCESS", 1)]
    assert technical.workflow_recoveries == 1
    assert technical.inbox_backlog == 2
    # one failed step of six in 24 h; the retried attempt is a retry, not an error
    assert (technical.steps_last_24h, technical.step_errors_last_24h,
            technical.retries_last_24h, technical.error_rate_last_24h) == (6, 1, 1, 0.1667)
    assert (kpis.steps_last_24h, kpis.step_errors_last_24h, kpis.retries_last_24h,
            kpis.error_rate_last_24h) == (6, 1, 1, 0.1667)
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


def test_the_kpis_and_the_steps_behind_them_are_served(database_url: str) -> None:
    with serve_api(database_url) as api:
        started = datetime.now(UTC) - timedelta(hours=1)
        write_keys(api.db, "i1", {Key.INVOICE_NUMBER: "INV-1"})
        write_step(api.db, "i1", "stripe.read_invoice", at=started)
        write_step(api.db, "i1", "netsuite.post_invoice", system="netsuite", at=started,
                   outcome=RETRYING)
        write_step(api.db, "i1", "netsuite.post_invoice", system="netsuite", attempt=2,
                   at=started + timedelta(seconds=90), milestone=Milestone.INVOICE_POSTED)
        with api.client() as client:
            body = client.get("/v1/kpis").json()
            assert client.get("/v1/kpis", params={"window_days": 0}).status_code == 422
            first = client.get("/v1/timeline/steps", params={"limit": 2}).json()
            rest = client.get("/v1/timeline/steps",
                              params={"after_id": first["next_after_id"]}).json()
            posted = client.get("/v1/timeline/steps",
                                params={"milestone": Milestone.INVOICE_POSTED}).json()
            retried = client.get("/v1/timeline/steps", params={"outcome": RETRYING}).json()
            assert client.get("/v1/timeline/steps",
                              params={"outcome": "ok"}).status_code == 422
    assert body["business"]["invoice_posting_latency"] == {
        "count": 1, "p50_seconds": 90.0, "p95_seconds": 90.0}
    assert body["business"]["invoices_not_posted"]["count"] == 0
    assert body["business"]["invoices_posted"] == 1
    assert body["window_days"] == 30
    assert (body["technical"]["steps_last_24h"], body["technical"]["retries_last_24h"]) == (3, 1)
    assert [s["step"] for s in first["steps"] + rest["steps"]] == [
        "stripe.read_invoice", "netsuite.post_invoice", "netsuite.post_invoice"]
    assert rest["next_after_id"] is None
    assert [(s["attempt"], s["milestone"], s["correlation_id"]) for s in posted["steps"]] == [
        (2, "invoice_posted", "i1")]
    assert [s["outcome"] for s in retried["steps"]] == ["retrying"]


def test_daily_history_counts_steps_failures_and_records_posted(db: Database) -> None:
    # INV-A posted twice today (its own flow and its payment's): one invoice posted
    write_keys(db, "a", {Key.INVOICE_NUMBER: "INV-A"})
    write_keys(db, "a-pay", {Key.INVOICE_NUMBER: "INV-A", Key.PAYMENT_ID: "pay_a"})
    write_step(db, "a", "netsuite.post_invoice", system="netsuite", at=ago(hours=2),
               outcome=FAILED)
    write_step(db, "a", "netsuite.post_invoice", system="netsuite", at=ago(hours=1),
               attempt=2, milestone=Milestone.INVOICE_POSTED)
    write_step(db, "a-pay", "netsuite.post_invoice", system="netsuite", at=ago(minutes=30),
               milestone=Milestone.INVOICE_POSTED)
    write_keys(db, "b", {Key.INVOICE_NUMBER: "INV-B", Key.PAYMENT_ID: "pay_b"})
    write_step(db, "b", "netsuite.post_payment", system="netsuite", at=ago(days=1),
               milestone=Milestone.PAYMENT_POSTED)
    write_step(db, "b", "netsuite.post_invoice", system="netsuite", at=ago(days=1, hours=1),
               milestone=Milestone.INVOICE_POSTED)
    write_step(db, "c", "salesforce.validate_deal", at=ago(days=13))
    write_step(db, "c", "salesforce.validate_deal", at=ago(days=14))  # before the first day
    with db.session() as session:
        days = history(session, NOW, days=14)
    assert len(days) == 14
    assert (days[0].day, days[-1].day) == (ago(days=13).date(), NOW.date())
    assert [(d.steps, d.errors, d.invoices_posted, d.payments_posted)
            for d in (days[-1], days[-2], days[0])] == [(3, 1, 1, 0), (2, 0, 1, 1),
                                                         (1, 0, 0, 0)]
    assert sum(d.steps for d in days) == 6
    db.dispose()
