"""Every metric accord exposes on ``/metrics``: name, type, labels and meaning.

One list, read by the collector (:mod:`accord.api.metrics`), the generated Grafana
dashboard and alert rules (:mod:`accord.observability.alerting`) and the documentation test
(``docs/operations.md`` lists each). Figures about flows, steps, vendor calls, the inbox,
exceptions, reconciliation and the business are computed from the database at scrape time,
so every process behind a load balancer reports the same totals, whichever worker did the
work.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    COUNTER = "counter"
    GAUGE = "gauge"
    HISTOGRAM = "histogram"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    kind: Kind
    labels: tuple[str, ...]
    help: str

    @property
    def exposed(self) -> str:
        """The series name as Prometheus shows it (counters end in ``_total``)."""
        return f"{self.name}_total" if self.kind is Kind.COUNTER else self.name


class M(StrEnum):
    """Metric names (counters without their ``_total`` suffix)."""

    FLOWS_STARTED = "accord_flows_started"
    FLOWS_FINISHED = "accord_flows_finished"
    FLOWS_FAILED = "accord_flows_failed"
    QUEUE_DEPTH = "accord_queue_depth"
    STEP_DURATION = "accord_step_duration_seconds"
    VENDOR_CALLS = "accord_vendor_calls"
    VENDOR_THROTTLES = "accord_vendor_throttles"
    VENDOR_ERRORS = "accord_vendor_errors"
    INBOX_BACKLOG = "accord_inbox_backlog"
    INBOX_OLDEST = "accord_inbox_oldest_age_seconds"
    EXCEPTIONS_OPEN = "accord_exceptions_open"
    EXCEPTIONS_OLDEST = "accord_exceptions_oldest_age_seconds"
    RECON_DIFFERENCES = "accord_reconciliation_differences"
    RECON_LAST_RUN = "accord_reconciliation_last_run_timestamp_seconds"
    INVOICE_LATENCY = "accord_invoice_posting_latency_seconds"
    PAYMENT_LAG = "accord_payment_update_lag_seconds"
    ORDERS_PENDING = "accord_orders_pending_activation"
    ORDERS_PENDING_OLDEST = "accord_orders_pending_activation_oldest_age_seconds"
    INVOICES_NOT_IN_ERP = "accord_invoices_not_in_erp"
    INVOICES_NOT_IN_ERP_OLDEST = "accord_invoices_not_in_erp_oldest_age_seconds"
    PAYMENTS_NOT_IN_ERP = "accord_payments_not_in_erp"
    PAYMENTS_NOT_IN_ERP_OLDEST = "accord_payments_not_in_erp_oldest_age_seconds"
    PAYMENTS_NOT_IN_CRM = "accord_payments_not_in_crm"
    PAYMENTS_NOT_IN_CRM_OLDEST = "accord_payments_not_in_crm_oldest_age_seconds"
    NOTIFICATIONS = "accord_notifications"
    WEBHOOK_DELIVERIES = "accord_webhook_deliveries"
    WEBHOOK_REJECTIONS = "accord_webhook_rejections"


STEP_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
"""Step duration buckets (seconds): vendor calls take tens of milliseconds to seconds."""

AGE_BANDS = (("under_1h", 3600.0), ("1h_to_4h", 4 * 3600.0), ("4h_to_24h", 86400.0),
             ("over_24h", float("inf")))
"""The ``age`` label of open exceptions: the first band whose bound exceeds the age."""


def _m(name: M, kind: Kind, labels: tuple[str, ...], text: str) -> MetricInfo:
    return MetricInfo(name.value, kind, labels, text)


C, G, H = Kind.COUNTER, Kind.GAUGE, Kind.HISTOGRAM
METRICS: tuple[MetricInfo, ...] = (
    _m(M.FLOWS_STARTED, C, ("flow",), "Flow runs started (DBOS workflows), by flow"),
    _m(M.FLOWS_FINISHED, C, ("flow",), "Flow runs that finished successfully, by flow"),
    _m(M.FLOWS_FAILED, C, ("flow",),
       "Flow runs that ended in error (each opened an exception), by flow"),
    _m(M.QUEUE_DEPTH, G, ("queue", "state"),
       "Flows in the engine's queues: waiting (enqueued) or running"),
    _m(M.STEP_DURATION, H, ("system", "step"),
       "Duration of each step attempt (the call to the system, not the wait for its "
       "limit), by system and step"),
    _m(M.VENDOR_CALLS, C, ("system",),
       "Calls to each external system (one per step attempt; accord's own steps excluded)"),
    _m(M.VENDOR_THROTTLES, C, ("system",),
       "Calls the system refused for its rate limit (HTTP 429 and the like)"),
    _m(M.VENDOR_ERRORS, C, ("system",),
       "Calls that failed for another reason (timeouts, 5xx, refusals, bad data)"),
    _m(M.INBOX_BACKLOG, G, (), "Inbound events stored but whose flow has not started"),
    _m(M.INBOX_OLDEST, G, (), "Age of the oldest inbound event still waiting (0 when none)"),
    _m(M.EXCEPTIONS_OPEN, G, ("owner", "age"),
       "Open exceptions by owning team and age band (under_1h, 1h_to_4h, 4h_to_24h, "
       "over_24h)"),
    _m(M.EXCEPTIONS_OLDEST, G, ("owner",),
       "Age of the oldest open exception of each owning team"),
    _m(M.RECON_DIFFERENCES, G, ("kind",),
       "Differences the latest finished reconciliation run found, by kind"),
    _m(M.RECON_LAST_RUN, G, (), "When the latest reconciliation run finished (Unix time)"),
    _m(M.INVOICE_LATENCY, G, ("quantile",),
       "Invoice posting latency (event to invoice in the ERP) over the last 24 h: p50, p95"),
    _m(M.PAYMENT_LAG, G, ("quantile",),
       "Payment update lag (event to payment applied in the ERP) over the last 24 h: p50, "
       "p95"),
    _m(M.ORDERS_PENDING, G, (), "Won deals whose order is not yet active in billing"),
    _m(M.ORDERS_PENDING_OLDEST, G, (), "Age of the oldest order pending activation"),
    _m(M.INVOICES_NOT_IN_ERP, G, (), "Invoices not yet posted to the ERP"),
    _m(M.INVOICES_NOT_IN_ERP_OLDEST, G, (), "Age of the oldest invoice not yet in the ERP"),
    _m(M.PAYMENTS_NOT_IN_ERP, G, (), "Payments not yet applied in the ERP"),
    _m(M.PAYMENTS_NOT_IN_ERP_OLDEST, G, (), "Age of the oldest payment not yet in the ERP"),
    _m(M.PAYMENTS_NOT_IN_CRM, G, (),
       "Payments applied in the ERP whose customer's CRM record was not yet updated"),
    _m(M.PAYMENTS_NOT_IN_CRM_OLDEST, G, (),
       "Age of the oldest payment not yet reflected in the CRM"),
    _m(M.NOTIFICATIONS, C, ("owner", "channel", "reason", "status"),
       "Notifications sent to owning teams (status sent or failed)"),
    _m(M.WEBHOOK_DELIVERIES, C, ("system", "duplicate"),
       "Webhook deliveries stored by this process (per process)"),
    _m(M.WEBHOOK_REJECTIONS, C, ("system", "reason"),
       "Webhook deliveries refused by this process (per process)"),
)


def info(name: M) -> MetricInfo:
    return next(metric for metric in METRICS if metric.name == name.value)


__all__ = ["AGE_BANDS", "METRICS", "STEP_BUCKETS", "Kind", "M", "MetricInfo", "info"]
