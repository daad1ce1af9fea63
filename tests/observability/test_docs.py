"""``docs/operations.md`` lists every metric, every alert rule, every notification reason
and every setting of the observability tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from accord.notify.notifier import Reason
from accord.notify.settings import NotificationSettings, OwnerContacts, Smtp
from accord.observability.alerting import sla_rules, threshold_rules
from accord.observability.catalog import METRICS
from accord.observability.settings import ObservabilitySettings
from accord.observability.slas import Alerts, BusinessHours, ExceptionSla, Slas

OPERATIONS = (Path(__file__).parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")


def test_every_metric_is_documented_with_its_labels() -> None:
    rows = {line.split("|")[1].strip(" `"): line for line in OPERATIONS.splitlines()
            if line.startswith("| `accord_")}
    for metric in METRICS:
        assert metric.exposed in rows, metric.exposed
        assert all(f"`{label}`" in rows[metric.exposed] for label in metric.labels)


def test_every_alert_rule_and_notification_reason_is_documented() -> None:
    for rule in [*sla_rules(Slas(), Alerts()), *threshold_rules(Alerts())]:
        assert f"`{rule.alert}`" in OPERATIONS
    for reason in Reason:
        assert f"| {reason.value} |" in OPERATIONS


@pytest.mark.parametrize("model", [ObservabilitySettings, Slas, BusinessHours, ExceptionSla,
                                   Alerts, NotificationSettings, Smtp, OwnerContacts])
def test_every_setting_is_documented(model: type[BaseModel]) -> None:
    for name, field in model.model_fields.items():
        if name in ("service_name", "exceptions", "business_hours", "smtp", "webhooks",
                    "owners", "enabled", "timeout_seconds", "password"):
            continue  # tables shown by their own examples, or defaults nobody needs to set
        key = field.alias or name
        assert f"{key} =" in OPERATIONS, f"{model.__name__}.{key}"
