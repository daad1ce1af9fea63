"""Prometheus alerting rules and a Grafana dashboard, generated from ``[slas]`` and
``[alerts]`` (:mod:`accord.observability.slas`) and the metric catalog
(:mod:`accord.observability.catalog`). ``accord monitoring export`` writes them; the copies
in the repository's ``monitoring/`` folder are the defaults' output, kept equal by a test.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from accord.observability.catalog import METRICS, M, info
from accord.observability.slas import Alerts, Slas

RULES_FILE = "accord-alerts.yml"
DASHBOARD_FILE = "accord-dashboard.json"


@dataclass(frozen=True)
class Rule:
    alert: str
    expr: str
    summary: str
    severity: str = "warning"
    for_: str = "5m"
    labels: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"alert": self.alert, "expr": self.expr, "for": self.for_,
                "labels": {"severity": self.severity, **self.labels},
                "annotations": {"summary": self.summary}}


def _seconds(minutes: float) -> str:
    return f"{minutes * 60:g}"


def sla_rules(slas: Slas, alerts: Alerts) -> list[Rule]:
    """One rule per business SLA and per owner's exception SLA. An exception SLA in business
    hours is checked here on wall-clock age (Prometheus has no calendar); the notifications
    count business hours exactly."""
    waits = (
        ("AccordInvoiceNotInErp", M.INVOICES_NOT_IN_ERP_OLDEST, slas.invoice_to_erp_minutes,
         "an invoice", "in the ERP", "invoice_to_erp"),
        ("AccordOrderNotActivated", M.ORDERS_PENDING_OLDEST, slas.order_activation_minutes,
         "a won deal's order", "active in billing", "order_activation"),
        ("AccordPaymentNotInErp", M.PAYMENTS_NOT_IN_ERP_OLDEST, slas.payment_to_erp_minutes,
         "a payment", "applied in the ERP", "payment_to_erp"),
        ("AccordPaymentNotInCrm", M.PAYMENTS_NOT_IN_CRM_OLDEST, slas.payment_to_crm_minutes,
         "a payment", "reflected in the CRM", "payment_to_crm"),
    )
    rules = [Rule(name, f"{metric.value} > {_seconds(minutes)}",
                  f"{what} has waited more than {minutes:g} min to be {where} (SLA)",
                  severity="critical", for_="0m", labels={"sla": sla})
             for name, metric, minutes, what, where, sla in waits]
    for owner in sorted(slas.exceptions):
        sla = slas.exceptions[owner]
        hours = f"{sla.hours:g} {'business ' if sla.business_hours else ''}hours"
        rules.append(Rule(
            "AccordExceptionSlaBreached",
            f'{M.EXCEPTIONS_OLDEST.value}{{owner="{owner}"}} > {sla.hours * 3600:g}',
            f"an exception owned by {owner} has been open longer than {hours}",
            severity="critical", for_="0m", labels={"owner": owner, "sla": "exception"}))
    return rules


def threshold_rules(alerts: Alerts) -> list[Rule]:
    wait = alerts.for_
    calls, errors = info(M.VENDOR_CALLS).exposed, info(M.VENDOR_ERRORS).exposed
    return [
        Rule("AccordInboxBacklog", f"{M.INBOX_BACKLOG.value} > {alerts.inbox_backlog}",
             f"more than {alerts.inbox_backlog} inbound events wait for their flow",
             for_=wait),
        Rule("AccordInboxStale",
             f"{M.INBOX_OLDEST.value} > {_seconds(alerts.inbox_oldest_minutes)}",
             f"an inbound event has waited more than {alerts.inbox_oldest_minutes:g} min "
             "for its flow", severity="critical", for_=wait),
        Rule("AccordQueueBacklog",
             f'sum({M.QUEUE_DEPTH.value}{{state="waiting"}}) > {alerts.queue_waiting}',
             f"more than {alerts.queue_waiting} flows wait in the engine's queues",
             for_=wait),
        Rule("AccordVendorErrors",
             f"sum by (system) (rate({errors}[15m])) / sum by (system) (rate({calls}[15m]))"
             f" > {alerts.vendor_error_ratio:g}",
             f"more than {alerts.vendor_error_ratio:.0%} of calls to a system fail",
             for_=wait),
        Rule("AccordVendorThrottled",
             f"sum by (system) (rate({info(M.VENDOR_THROTTLES).exposed}[5m])) * 60 > "
             f"{alerts.vendor_throttles_per_minute:g}",
             f"a system refuses more than {alerts.vendor_throttles_per_minute:g} calls a "
             "minute for its rate limit", for_=wait),
        Rule("AccordFlowsFailing",
             f"sum by (flow) (increase({info(M.FLOWS_FAILED).exposed}[1h])) > "
             f"{alerts.flows_failed_per_hour:g}",
             f"more than {alerts.flows_failed_per_hour:g} runs of a flow failed in an hour",
             for_=wait),
        Rule("AccordReconciliationDifferences",
             f"sum({M.RECON_DIFFERENCES.value}) > {alerts.reconciliation_differences}",
             f"the latest reconciliation found more than {alerts.reconciliation_differences}"
             " differences", for_="0m"),
        Rule("AccordReconciliationStale",
             f"time() - {M.RECON_LAST_RUN.value} > "
             f"{alerts.reconciliation_stale_hours * 3600:g}",
             f"no reconciliation finished in {alerts.reconciliation_stale_hours:g} hours",
             for_=wait),
    ]


def rules_document(slas: Slas, alerts: Alerts) -> dict[str, Any]:
    return {"groups": [
        {"name": "accord-slas", "rules": [r.as_dict() for r in sla_rules(slas, alerts)]},
        {"name": "accord-thresholds", "rules": [r.as_dict() for r in threshold_rules(alerts)]},
    ]}


def _yaml(value: Any, indent: int = 0) -> list[str]:
    """A small YAML writer for the rules (mappings, lists, scalars as JSON strings)."""
    pad = "  " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict | list) and item:
                lines.append(f"{pad}{key}:")
                lines.extend(_yaml(item, indent + 1))
            else:
                lines.append(f"{pad}{key}: {json.dumps(item)}")
    elif isinstance(value, list):
        for item in value:
            nested = _yaml(item, indent + 1)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
    else:
        lines.append(f"{pad}{json.dumps(value)}")
    return lines


def rules_yaml(slas: Slas, alerts: Alerts) -> str:
    header = ["# Generated by `accord monitoring export` from [slas] and [alerts] in",
              "# accord.toml; docs/operations.md, \"Alerts\", explains each rule."]
    return "\n".join([*header, *_yaml(rules_document(slas, alerts))]) + "\n"


def _panel(panel_id: int, title: str, exprs: list[tuple[str, str]], *, x: int, y: int,
           unit: str = "short", threshold: float | None = None) -> dict[str, Any]:
    steps: list[dict[str, Any]] = [{"color": "green", "value": None}]
    if threshold is not None:
        steps.append({"color": "red", "value": threshold})
    return {
        "id": panel_id, "type": "timeseries", "title": title,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "gridPos": {"h": 8, "w": 12, "x": x, "y": y},
        "fieldConfig": {"defaults": {"unit": unit, "thresholds": {"mode": "absolute",
                                                                  "steps": steps}},
                        "overrides": []},
        "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
        "targets": [{"refId": chr(ord("A") + index), "expr": expr, "legendFormat": legend}
                    for index, (expr, legend) in enumerate(exprs)],
    }


def dashboard(slas: Slas, alerts: Alerts) -> dict[str, Any]:
    """A Grafana dashboard with a panel for each group of metrics, SLA lines as
    thresholds."""
    started, failed = info(M.FLOWS_STARTED).exposed, info(M.FLOWS_FAILED).exposed
    calls = info(M.VENDOR_CALLS).exposed
    specs: list[tuple[str, list[tuple[str, str]], str, float | None]] = [
        ("Flows started and failed (per minute)",
         [(f"sum by (flow) (rate({started}[5m])) * 60", "{{flow}} started"),
          (f"sum by (flow) (rate({failed}[5m])) * 60", "{{flow}} failed")], "short", None),
        ("Step duration p95 by system",
         [(f"histogram_quantile(0.95, sum by (system, le) "
           f"(rate({M.STEP_DURATION.value}_bucket[5m])))", "{{system}}")], "s", None),
        ("Vendor calls, throttles and errors (per minute)",
         [(f"sum by (system) (rate({calls}[5m])) * 60", "{{system}} calls"),
          (f"sum by (system) (rate({info(M.VENDOR_THROTTLES).exposed}[5m])) * 60",
           "{{system}} throttled"),
          (f"sum by (system) (rate({info(M.VENDOR_ERRORS).exposed}[5m])) * 60",
           "{{system}} errors")], "short", None),
        ("Inbox backlog and queue depth",
         [(M.INBOX_BACKLOG.value, "inbox backlog"),
          (f"sum by (queue, state) ({M.QUEUE_DEPTH.value})", "{{queue}} {{state}}")],
         "short", float(alerts.inbox_backlog)),
        ("Oldest inbound event waiting", [(M.INBOX_OLDEST.value, "oldest")], "s",
         alerts.inbox_oldest_minutes * 60),
        ("Open exceptions by owner",
         [(f"sum by (owner) ({M.EXCEPTIONS_OPEN.value})", "{{owner}}")], "short", None),
        ("Oldest open exception by owner",
         [(M.EXCEPTIONS_OLDEST.value, "{{owner}}")], "s",
         min((s.hours for s in slas.exceptions.values()), default=4.0) * 3600),
        ("Reconciliation differences by kind",
         [(M.RECON_DIFFERENCES.value, "{{kind}}")], "short",
         float(alerts.reconciliation_differences) + 1),
        ("Invoice posting latency", [(M.INVOICE_LATENCY.value, "p{{quantile}}")], "s",
         slas.invoice_to_erp_minutes * 60),
        ("Orders pending activation",
         [(M.ORDERS_PENDING.value, "pending"), (M.ORDERS_PENDING_OLDEST.value, "oldest (s)")],
         "short", None),
        ("Invoices not yet in the ERP (oldest)",
         [(M.INVOICES_NOT_IN_ERP_OLDEST.value, "oldest")], "s",
         slas.invoice_to_erp_minutes * 60),
        ("Payments not reflected in the ERP and the CRM (oldest)",
         [(M.PAYMENTS_NOT_IN_ERP_OLDEST.value, "ERP"),
          (M.PAYMENTS_NOT_IN_CRM_OLDEST.value, "CRM")], "s",
         slas.payment_to_erp_minutes * 60),
    ]
    panels = [_panel(index + 1, title, exprs, x=(index % 2) * 12, y=(index // 2) * 8,
                     unit=unit, threshold=threshold)
              for index, (title, exprs, unit, threshold) in enumerate(specs)]
    return {
        "title": "accord", "uid": "accord-overview", "schemaVersion": 39, "version": 1,
        "editable": True, "tags": ["accord"], "timezone": "utc", "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource",
                                 "query": "prometheus", "label": "Prometheus"}]},
        "annotations": {"list": []},
        "panels": panels,
        "description": "Generated by `accord monitoring export`; metrics in "
                       "docs/operations.md",
    }


def dashboard_json(slas: Slas, alerts: Alerts) -> str:
    return json.dumps(dashboard(slas, alerts), indent=2) + "\n"


def metric_names() -> set[str]:
    """Every series name the catalog exposes (histograms with their suffixes)."""
    names = set()
    for metric in METRICS:
        names.add(metric.exposed)
        if metric.kind.value == "histogram":
            names |= {f"{metric.name}_{suffix}" for suffix in ("bucket", "count", "sum")}
    return names


__all__ = ["DASHBOARD_FILE", "RULES_FILE", "Rule", "dashboard", "dashboard_json",
           "metric_names", "rules_document", "rules_yaml", "sla_rules", "threshold_rules"]
