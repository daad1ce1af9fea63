"""The peers bench runs: a tiny workload (with duplicate deliveries) through each peer, over
real HTTP to fresh Stripe and NetSuite sandboxes, ends with every invoice posted once; accord's
side is the product itself (``accord serve --no-workers`` and an ``accord worker`` running the
invoice-posting flow), which posts each event's invoice once however often it is delivered."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import missing_component

ROOT = Path(__file__).resolve().parents[2]
RUN = ROOT / "bench" / "peers" / "run.py"
EVENTS = 6


@pytest.mark.timeout(300)
@pytest.mark.parametrize("peer", ["sync", "celery", "accord"])
def test_a_tiny_workload_through_each_peer(peer: str, tmp_path: Path) -> None:
    output = tmp_path / "peers.json"
    finished = subprocess.run(
        [sys.executable, str(RUN), "--events", str(EVENTS), "--customers", "2", "--peers",
         peer, "--runs", "burst,duplicates", "--quiet", "5", "--deadline", "240",
         "--output", str(output)], capture_output=True, text=True, cwd=ROOT, check=False)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(output.read_text())
    if peer in report["skipped"]:
        missing_component(report["skipped"][peer])
    runs = {result["run"]: result for result in report["results"]}
    assert set(runs) == {"burst", "duplicates"}
    assert runs["duplicates"]["deliveries"] > runs["duplicates"]["events"]
    for result in runs.values():
        verdict = result["verdict"]
        assert (verdict["expected"], verdict["found"]) == (EVENTS, EVENTS), verdict
        assert (verdict["lost"], verdict["doubled"], verdict["wrong_amount"]) == (0, 0, 0)
        assert (verdict["customers_found"], verdict["customers_doubled"]) == (
            verdict["customers_expected"], 0)
    if peer == "accord":
        for result in runs.values():
            state = result["peer_state"]
            # the product's own flow posted each invoice once: duplicates started nothing
            assert state["invoice_postings"] == EVENTS, state
            assert state["flows"] == {"SUCCESS": sum(state["flows_by_name"].values())}, state
            assert state["open_exceptions"] == 0, state
