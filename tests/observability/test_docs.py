"""``docs/operations.md`` lists every metric, every alert rule, every notification reason
and every setting of the observability tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel, SecretStr

from accord.api.app import create_app
from accord.notify.notifier import Reason
from accord.notify.settings import NotificationSettings, OwnerContacts, Smtp
from accord.observability.alerting import sla_rules, threshold_rules
from accord.observability.catalog import METRICS
from accord.observability.settings import ObservabilitySettings
from accord.observability.slas import Alerts, BusinessHours, ExceptionSla, Slas
from accord.settings import AccordSettings
from accord.store import Database, upgrade

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


def test_every_metric_the_service_exposes_is_documented(tmp_path: Path) -> None:
    """What ``/metrics`` really serves - the process's own counters and the database's
    figures - not only the catalog: a metric registered anywhere else is caught."""
    database = Database(f"sqlite:///{tmp_path / 'accord.db'}")
    upgrade(database.engine)
    app = create_app(AccordSettings(database_url=SecretStr(str(database.engine.url))),
                     database)
    try:
        with TestClient(app) as client:
            text = client.get("/metrics").text
    finally:
        database.dispose()
    exposed = {family.name.removesuffix("_created")  # a process counter's creation time
               for family in text_string_to_metric_families(text)
               if family.name.startswith("accord")}
    documented = {line.split("|")[1].strip(" `").removesuffix("_total")
                  for line in OPERATIONS.splitlines() if line.startswith("| `accord_")}
    assert exposed
    assert {metric.name for metric in METRICS} - exposed <= {"accord_reconciliation_last_run"
                                                              "_timestamp_seconds"}
    assert exposed <= documented, sorted(exposed - documented)
