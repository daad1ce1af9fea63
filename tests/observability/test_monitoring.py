"""Alert rules and the dashboard are generated from ``[slas]`` and ``[alerts]``: the copies
shipped in ``monitoring/`` are the defaults' output, a changed SLA changes its rule, every
expression names metrics accord exposes, and Prometheus's own ``promtool`` accepts the
rules (Debian's ``prometheus`` package; CI installs it)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.observability.alerting import (
    DASHBOARD_FILE,
    RULES_FILE,
    dashboard_json,
    metric_names,
    rules_yaml,
)
from accord.observability.slas import Alerts, Slas
from tests.conftest import missing_component

SHIPPED = Path(__file__).parents[2] / "monitoring"
PROMTOOL = Path("/usr/bin/promtool")
METRIC = re.compile(r"\baccord_[a-z0-9_]+")


def _export(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, toml: str) -> Path:
    config = tmp_path / "accord.toml"
    config.write_text(toml, encoding="utf-8")
    monkeypatch.setenv("ACCORD_CONFIG", str(config))
    out = tmp_path / "monitoring"
    result = CliRunner().invoke(app, ["monitoring", "export", "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_shipped_files_are_the_defaults_output() -> None:
    assert (SHIPPED / RULES_FILE).read_text(encoding="utf-8") == rules_yaml(Slas(), Alerts())
    assert (SHIPPED / DASHBOARD_FILE).read_text(encoding="utf-8") == dashboard_json(
        Slas(), Alerts())


def test_a_configured_sla_becomes_its_rule(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    out = _export(tmp_path, monkeypatch, """
[slas]
invoice_to_erp_minutes = 5
[slas.exceptions.finance_operations]
hours = 2
business_hours = true
[alerts]
for = "10m"
inbox_backlog = 42
""")
    rules = (out / RULES_FILE).read_text(encoding="utf-8")
    assert '"accord_invoices_not_in_erp_oldest_age_seconds > 300"' in rules
    assert ('"accord_exceptions_oldest_age_seconds{owner=\\"finance_operations\\"} > 7200"'
            in rules)
    assert '"accord_inbox_backlog > 42"' in rules
    assert 'for: "10m"' in rules
    board = json.loads((out / DASHBOARD_FILE).read_text(encoding="utf-8"))
    thresholds = {panel["title"]: panel["fieldConfig"]["defaults"]["thresholds"]["steps"][-1]
                  for panel in board["panels"]}
    assert thresholds["Invoice posting latency"]["value"] == 300


def test_a_bad_setting_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "accord.toml"
    config.write_text('[alerts]\nfor = "soon"\n', encoding="utf-8")
    monkeypatch.setenv("ACCORD_CONFIG", str(config))
    result = CliRunner().invoke(app, ["monitoring", "export", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "alerts.for: " in result.output


def test_every_expression_names_exposed_metrics() -> None:
    exposed = metric_names()
    rules = (SHIPPED / RULES_FILE).read_text(encoding="utf-8")
    board = json.loads((SHIPPED / DASHBOARD_FILE).read_text(encoding="utf-8"))
    exprs = [target["expr"] for panel in board["panels"] for target in panel["targets"]]
    named = set(METRIC.findall(rules)) | {name for expr in exprs
                                         for name in METRIC.findall(expr)}
    assert named
    assert named <= exposed


def test_promtool_accepts_the_rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not PROMTOOL.exists() and shutil.which("promtool") is None:
        missing_component("promtool not installed (Debian package `prometheus`)")
    tool = str(PROMTOOL if PROMTOOL.exists() else shutil.which("promtool"))
    custom = _export(tmp_path, monkeypatch, "[slas]\npayment_to_crm_minutes = 30\n")
    for path in (SHIPPED / RULES_FILE, custom / RULES_FILE):
        checked = subprocess.run([tool, "check", "rules", str(path)], capture_output=True,
                                 text=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr
        assert "SUCCESS: 16 rules found" in checked.stdout
