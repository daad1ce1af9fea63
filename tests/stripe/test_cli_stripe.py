"""``accord sandbox credentials stripe`` and ``accord doctor`` with the Stripe connector."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from accord.cli import app
from accord.sandboxes.server import RunningSandbox

runner = CliRunner()


def test_credentials_print_base_url_and_a_test_key() -> None:
    result = runner.invoke(app, ["sandbox", "credentials", "stripe"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output[result.output.index("{"):])
    assert shown["base_url"] == "http://127.0.0.1:12111"
    assert shown["api_key"].startswith("sk_test_")


def test_doctor_checks_stripe_through_the_sandbox(sandbox: RunningSandbox,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_STRIPE_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("ACCORD_STRIPE_API_KEY", sandbox.credentials()["api_key"])
    monkeypatch.setenv("ACCORD_STRIPE_WEBHOOK_SECRET", "whsec_demo")
    result = runner.invoke(app, ["doctor"], terminal_width=240)
    line = next(row for row in result.output.splitlines() if "system stripe" in row)
    assert "ok" in line
    assert sandbox.credentials()["api_key"] not in result.output
