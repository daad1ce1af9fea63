"""``accord sandbox start avatax`` and ``accord sandbox credentials avatax`` as
``docs/sandboxes/avatax.md`` shows them (subprocesses), the page's client example against
the started sandbox, and ``accord doctor`` with the AvaTax connector."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from avalara.client import AvataxClient
from typer.testing import CliRunner

from accord.cli import app
from accord.demo.processes import free_port
from accord.sandboxes.server import RunningSandbox

runner = CliRunner()
ACCORD = str(Path(sys.executable).parent / "accord")


def test_the_sandbox_starts_and_its_credentials_drive_the_official_client(
        tmp_path: Path) -> None:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    server = subprocess.Popen([ACCORD, "sandbox", "start", "avatax", "--port", str(port)],
                              cwd=tmp_path, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/__sandbox/health").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, "the sandbox exited"
            assert time.monotonic() < deadline, "the sandbox did not start in 60 s"
            time.sleep(0.2)
        shown = subprocess.run([ACCORD, "sandbox", "credentials", "avatax"], cwd=tmp_path,
                               env=env, capture_output=True, text=True, check=True).stdout
        credentials = json.loads(shown[shown.index("{"):])
        assert credentials["base_url"] == "http://127.0.0.1:12115"
        client = AvataxClient("my-app", "1.0", "my-machine", f"http://127.0.0.1:{port}")
        client.add_credentials(credentials["account_id"], credentials["license_key"])
        answer = client.create_transaction({
            "type": "SalesOrder", "customerCode": "C1", "date": "2026-12-01",
            "addresses": {"singleLocation": {"postalCode": "98101"}},
            "lines": [{"amount": "100.00"}]})
        estimate = json.loads(answer.content, parse_float=Decimal)
        assert estimate["status"] == "Temporary"
        assert estimate["totalTax"] == sum(d["tax"] for d in estimate["lines"][0]["details"])
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)


def test_doctor_checks_avatax_through_the_sandbox(sandbox: RunningSandbox,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    credentials = sandbox.credentials()
    monkeypatch.setenv("ACCORD_AVATAX_BASE_URL", sandbox.base_url)
    monkeypatch.setenv("ACCORD_AVATAX_ACCOUNT_ID", credentials["account_id"])
    monkeypatch.setenv("ACCORD_AVATAX_LICENSE_KEY", credentials["license_key"])
    result = runner.invoke(app, ["doctor"], terminal_width=240)
    line = next(row for row in result.output.splitlines() if "system avatax" in row)
    assert "ok" in line
    assert credentials["license_key"] not in result.output
