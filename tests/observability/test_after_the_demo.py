"""Observability after the demo month (``tests/demo_month.py``: one real ``accord demo``
per session), read as an operator reads it: the console's trace waterfall of one deal
whose payment reached the ERP, and ``/metrics`` beside the demo's own ``/v1/kpis``.

Everything here comes from what the running demo serves - the ``/v1`` API, ``/metrics``
and the console's pages - never from its database."""

from __future__ import annotations

import re
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from accord.observability.catalog import METRICS, Kind
from tests.demo_month import STARTUP_SECONDS, DemoMonth, all_steps

pytestmark = pytest.mark.timeout(STARTUP_SECONDS + 600)  # the first one starts the demo

ROW = re.compile(r'<tr class="span-(?P<kind>\w+) status-\w+" data-span="(?P<span>\w+)" '
                 r'data-parent="(?P<parent>\w*)" data-system="(?P<system>[^"]*)" '
                 r'data-name="(?P<name>[^"]*)">')
SECTION = re.compile(r'<section class="card waterfall" data-trace="(?P<trace>\w+)" '
                     r'data-group="(?P<group>\w+)">(?P<body>.*?)</section>', re.S)


@dataclass(frozen=True)
class Row:
    trace: str
    group: str
    kind: str
    span: str
    parent: str
    system: str
    name: str


def _console(month: DemoMonth, path: str, **params: str) -> str:
    with httpx.Client(base_url=month.base, timeout=60,
                      headers={"Origin": month.base}) as client:
        assert client.post("/console/login", data={"token": month.token}).status_code == 303
        answer = client.get(path, params=params)
        answer.raise_for_status()
        return answer.text


def _rows(page: str) -> list[Row]:
    return [Row(trace=section["trace"], group=section["group"], kind=row["kind"],
                span=row["span"], parent=row["parent"], system=row["system"],
                name=row["name"])
            for section in SECTION.finditer(page) for row in ROW.finditer(section["body"])]


def _paid_deals(month: DemoMonth) -> list[str]:
    """Deals (CRM ids) whose customer's payment reached the ERP and whose own flow created
    the subscription, found through ``/v1/timeline``."""
    with month.api() as api:
        steps = all_steps(api)
        paid = sorted({s["correlation_id"] for s in steps
                       if s["milestone"] == "payment_posted" and s["outcome"] == "succeeded"})
        deals: list[str] = []
        for correlation_id in paid[:10]:
            payment = api.get("/v1/timeline", params={"q": correlation_id}).json()["traces"]
            customers = {c for t in payment for c in t["keys"].get("customer_id", [])}
            for customer in sorted(customers):
                found = api.get("/v1/timeline", params={"q": customer,
                                                        "kind": "customer_id"}).json()
                for trace in found["traces"]:
                    created = any(step["step"].endswith(".create_subscription")
                                  and step["outcome"] == "succeeded" for step in trace["steps"])
                    if created:
                        deals += trace["keys"].get("deal_id", [])
    return sorted(set(deals))


def _under(rows: list[Row], span: Row) -> list[Row]:
    return [row for row in rows if row.parent == span.span]


def _step_with_calls(rows: list[Row], action: str) -> Row:
    """The succeeded step named ``<role>.<action>`` whose vendor HTTP calls are its children,
    each carrying the step's system."""
    for step in (r for r in rows if r.name.startswith("step ") and r.name.endswith(action)):
        calls = [row for row in _under(rows, step) if row.kind == "client"]
        if calls and step.system and all(call.system == step.system for call in calls):
            return step
    raise AssertionError(f"no step {action} with vendor calls under it: "
                         f"{sorted({r.name for r in rows})}")


def _event_chain(rows: list[Row], step: Row) -> tuple[Row, Row]:
    """(intake, flow) above ``step``: the trace's root intake span and its flow span."""
    by_span = {row.span: row for row in rows}
    flow = by_span[step.parent]
    intake = by_span[flow.parent]
    assert flow.name.startswith("flow "), flow
    assert intake.name.startswith("intake "), intake
    assert intake.parent == "", intake
    return intake, flow


def test_the_trace_of_a_paid_deal_runs_from_the_crm_to_the_erp_payment(
        demo_month: DemoMonth) -> None:
    deals = _paid_deals(demo_month)
    assert deals, "the demo month has deals paid and posted to the ERP"
    deal = deals[0]
    page = _console(demo_month, "/console/traces", q=deal)
    rows = _rows(page)
    found = [row for row in rows if row.group == "found"]
    followed = [row for row in rows if row.group == "followed"]

    # the deal's own trace: the CRM's event, its flow, the billing subscription
    subscription = _step_with_calls(found, ".create_subscription")
    intake, flow = _event_chain(found, subscription)
    assert intake.system == "salesforce"
    assert flow.name == "flow closed_won"
    assert subscription.system == "stripe"
    # ... then the traces of what billing announced next: the invoice, posted to the ERP,
    erp_invoice = _step_with_calls(followed, ".post_invoice")
    invoice_intake, _flow = _event_chain(followed, erp_invoice)
    assert invoice_intake.system == "stripe"
    assert erp_invoice.system.startswith("netsuite")
    # ... and its payment, applied in the ERP
    erp_payment = _step_with_calls(followed, ".post_payment")
    payment_intake, payment_flow = _event_chain(followed, erp_payment)
    assert payment_intake.system == "stripe"
    assert payment_flow.name == "flow payment_posting"
    assert erp_payment.system.startswith("netsuite")
    read = [r for r in _under(followed, payment_flow) if r.name.endswith(".read_payment")]
    assert read
    assert all(r.system == "stripe" for r in read)


# -- /metrics ---------------------------------------------------------------------------------
Samples = dict[str, dict[tuple[tuple[str, str], ...], float]]


def _scrape(month: DemoMonth) -> tuple[set[str], Samples]:
    text = httpx.get(f"{month.base}/metrics", timeout=60).text
    families, samples = set(), defaultdict(dict)
    for family in text_string_to_metric_families(text):
        families.add(family.name)
        for sample in family.samples:
            samples[sample.name][tuple(sorted(sample.labels.items()))] = sample.value
    return families, dict(samples)


def _counts(kpis: dict[str, Any]) -> tuple[Any, ...]:
    """What the KPIs count (not the ages, which grow by the second)."""
    return (kpis["open_exceptions_by_owner"], kpis["inbox_backlog"],
            {name: figure["count"] for name, figure in kpis["business"].items()
             if isinstance(figure, dict) and "count" in figure})


def _settled(month: DemoMonth) -> tuple[dict[str, Any], set[str], Samples]:
    """``/v1/kpis`` and ``/metrics`` read when nothing changed in between (the demo keeps
    running its polls)."""
    with month.api() as api:
        for _ in range(20):
            before = api.get("/v1/kpis").json()
            families, samples = _scrape(month)
            after = api.get("/v1/kpis").json()
            if _counts(before) == _counts(after):
                return after, families, samples
            time.sleep(6)  # past the scrape cache: read again
    raise AssertionError("the KPIs kept changing")


def _total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(value for key, value in samples.get(name, {}).items() if wanted <= set(key))


def test_metrics_after_the_demo_agree_with_its_kpis(demo_month: DemoMonth) -> None:
    kpis, families, samples = _settled(demo_month)
    business = kpis["business"]

    # every documented metric is there; nothing accord exposes is left out of the catalog
    catalog = {metric.name for metric in METRICS}
    assert catalog <= families, sorted(catalog - families)
    created = {f"{metric.name}_created" for metric in METRICS if metric.kind is Kind.COUNTER}
    assert {name for name in families if name.startswith("accord_")} - created <= catalog

    # flows: the month ran each business flow, and no flow finished more than it started
    # (invoices are posted in batches: invoice_posting runs only for an invoice that waits)
    for flow in ("closed_won", "invoice_posting_batch", "payment_posting"):
        assert _total(samples, "accord_flows_finished_total", flow=flow) > 0, flow
    for key, started in samples["accord_flows_started_total"].items():
        done = (samples["accord_flows_finished_total"].get(key, 0)
                + samples["accord_flows_failed_total"].get(key, 0))
        assert done <= started, key
    # vendor calls by system; errors and throttles among them
    for system in ("salesforce", "stripe", "netsuite"):
        calls = _total(samples, "accord_vendor_calls_total", system=system)
        assert calls > 0, system
        assert _total(samples, "accord_vendor_errors_total", system=system) <= calls
        assert _total(samples, "accord_vendor_throttles_total", system=system) <= calls
    # step durations: a histogram per system and step, buckets rising to the count
    buckets: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = defaultdict(list)
    for key, value in samples["accord_step_duration_seconds_bucket"].items():
        labels = dict(key)
        bound = labels.pop("le")
        buckets[tuple(sorted(labels.items()))].append((float(bound), value))
    assert {dict(key)["system"] for key in buckets} >= {"salesforce", "stripe", "netsuite"}
    for key, rows in buckets.items():
        counts = [value for _bound, value in sorted(rows)]
        assert counts == sorted(counts), key
        assert counts[-1] == samples["accord_step_duration_seconds_count"][key] > 0

    # exceptions by owner: the KPIs' open exceptions, every one in an age band
    by_owner = {row["key"]: row["count"] for row in kpis["open_exceptions_by_owner"]}
    assert by_owner, "the demo plants defects: exceptions stay open"
    for owner, count in by_owner.items():
        assert _total(samples, "accord_exceptions_open", owner=owner) == count, owner
        assert samples["accord_exceptions_oldest_age_seconds"][(("owner", owner),)] > 0
    assert _total(samples, "accord_exceptions_open") == kpis["open_exceptions"]

    # the business KPIs as gauges, the same figures /v1/kpis reports
    gauges = {"accord_orders_pending_activation": business["orders_pending_activation"],
              "accord_invoices_not_in_erp": business["invoices_not_posted"],
              "accord_payments_not_in_erp": business["payments_not_posted"]}
    for name, backlog in gauges.items():
        assert samples[name][()] == backlog["count"], name
        assert (samples[f"{name}_oldest_age_seconds"][()] > 0) == (backlog["count"] > 0), name
    assert samples["accord_inbox_backlog"][()] == kpis["inbox_backlog"]
    latency = business["invoice_posting_latency"]
    assert latency["count"] > 0
    assert samples["accord_invoice_posting_latency_seconds"][(("quantile", "0.5"),)] > 0
    # the month ends with a reconciliation: its differences by kind, and when it ran
    with demo_month.api() as api:
        runs = [run for run in api.get("/v1/reconciliation/runs").json()
                if run["status"] == "finished"]
    assert runs, "the demo reconciles its month"
    latest = max(runs, key=lambda run: run["id"])
    assert _total(samples, "accord_reconciliation_differences") == latest["difference_count"]
    assert samples["accord_reconciliation_last_run_timestamp_seconds"][()] == \
        datetime.fromisoformat(latest["finished_at"]).timestamp()
    for metric in METRICS:
        if metric.kind is Kind.COUNTER:
            assert all(value >= 0 for value in samples.get(metric.exposed, {}).values())
