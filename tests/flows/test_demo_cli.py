"""``accord demo`` end to end on a small month: sandboxes, faults, webhooks, summary."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import IO

import httpx


def test_demo_json_summary_has_nothing_lost_or_doubled(tmp_path: Path) -> None:
    # its own process, as `make demo` runs it (the demo launches its own engine)
    accord = Path(sys.executable).parent / "accord"
    result = subprocess.run([str(accord), "demo", "--accounts", "12", "--seed", "2", "--json"],
                            capture_output=True, text=True, timeout=600, check=False,
                            cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[result.stdout.index("{"):])
    assert summary["lost"] == 0
    assert summary["doubled"] == 0
    assert summary["agree"] is True
    # the four planted defects: three for master data, the closed period for finance
    assert summary["exceptions"]["master_data"] == 3
    assert summary["exceptions"]["finance_operations"] >= 1
    assert any("closed" in line["reason"] for line in summary["exception_details"]
               if line["owner"] == "finance_operations")
    assert set(summary["control_totals"]) == {"stripe", "netsuite"}
    assert summary["webhooks_received"] > 0
    flows = summary["flows"]
    assert flows["closed_won"]["created"] == 10, flows  # the good deals and the closed period
    assert flows["closed_won"]["exception"] == 3
    assert flows["invoice_posting"]["exception"] == 1
    assert flows["product_master_sync"]["done"] == 1
    assert flows["invoice_posting"]["posted"] >= 8
    # reconciliation of the three systems afterwards finds only the planted records: the
    # three master-data refusals never reached billing; the closed-period invoice and its
    # payment never reached the ERP
    reconciliation = summary["reconciliation"]
    assert reconciliation["by_kind"] == {
        "missing_in_target": {"master_data": 3, "finance_operations": 2}}, reconciliation
    assert reconciliation["gl_clean"] is True


def _read_until(stream: IO[str], wanted: tuple[str, ...], seen: list[str]) -> dict[str, str]:
    """Read the demo's output line by line until every ``wanted`` prefix was printed."""
    found: dict[str, str] = {}
    for line in stream:
        seen.append(line)
        for prefix in wanted:
            if line.startswith(prefix):
                found[prefix] = line[len(prefix):].strip()
        if len(found) == len(wanted):
            return found
    raise AssertionError("the demo ended before printing " + ", ".join(wanted) +
                         ":\n" + "".join(seen[-40:]))


def test_keep_running_leaves_the_console_up_with_the_demo_data(tmp_path: Path) -> None:
    accord = Path(sys.executable).parent / "accord"
    # free ports instead of the defaults: other people run tests on this machine
    process = subprocess.Popen(
        [str(accord), "demo", "--keep-running", "--accounts", "12", "--seed", "2",
         "--port", "0", "--free-ports"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=tmp_path,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "COLUMNS": "200"})
    seen: list[str] = []
    try:
        assert process.stdout is not None
        printed = _read_until(process.stdout, ("console: ", "admin token: "), seen)
        console, token = printed["console: "], printed["admin token: "]
        assert console.startswith("http://127.0.0.1:")
        assert console.endswith("/console")
        assert token.startswith("acc_")
        base = console.removesuffix("/console")
        with httpx.Client(base_url=base, timeout=30) as http:
            # the API takes the token as a bearer token
            exceptions = http.get("/v1/exceptions", headers={
                "Authorization": f"Bearer {token}"}).json()
            assert any("closed" in e["reason"] and e["owner"] == "finance_operations"
                       for e in exceptions), exceptions
            # the console: sign in with the printed token, then browse the demo's data
            signed_in = http.post("/console/login", data={"token": token})
            assert signed_in.status_code == 303
            overview = http.get("/console")
            assert overview.status_code == 200
            assert "demo (admin)" in overview.text
            queue = http.get("/console/exceptions")
            assert "BW-LEGACY-GOLD" in queue.text  # the planted unknown SKU
            assert "closed" in queue.text  # the planted posting into a closed period
            customers = http.get("/console/customers")
            assert customers.status_code == 200
            rows = re.findall(r'<tr data-id="([^"]+)">', customers.text)
            assert len(rows) >= 10  # the good deals' customers (and the closed period's)
            one = http.get(f"/console/customers/{rows[0]}")
            assert one.status_code == 200
            assert "Ids in each system" in one.text
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=120)
        assert process.returncode == 0, "".join(seen[-40:]) + rest
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_taken_console_port_is_named_with_the_fix(tmp_path: Path) -> None:
    accord = Path(sys.executable).parent / "accord"
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [str(accord), "demo", "--keep-running", "--accounts", "12", "--port", str(port),
             "--free-ports"], capture_output=True, text=True, timeout=300, check=False,
            cwd=tmp_path, env={**os.environ, "COLUMNS": "200"})
    assert result.returncode == 3, result.stderr[-3000:]  # something needed is not there
    assert f"port {port} (the API and console) is already in use" in result.stderr
    assert "--port" in result.stderr
    assert "Traceback" not in result.stderr
