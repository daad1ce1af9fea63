"""The latency bench runs the product itself (``accord serve --no-workers`` and an ``accord
worker`` as subprocesses, over real HTTP to Stripe and NetSuite sandboxes): a tiny run posts
every webhook's invoice to NetSuite once, and its figures file says so and holds the figures."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "latency.py"
RATE, SECONDS = 5, 3


@pytest.mark.timeout(300)
def test_a_tiny_run_posts_every_event_and_writes_the_figures(tmp_path: Path) -> None:
    output = tmp_path / "latency.json"
    finished = subprocess.run(
        [sys.executable, str(BENCH), "--rate", str(RATE), "--seconds", str(SECONDS),
         "--customers", "3", "--drain-timeout", "120", "--output", str(output)],
        capture_output=True, text=True, cwd=ROOT, check=False)
    assert finished.returncode == 0, finished.stdout + finished.stderr
    report = json.loads(output.read_text())
    events = RATE * SECONDS
    assert report["events"] == events
    assert report["sending"]["accepted"] == events
    # accord's own records: every webhook stored once and its invoice posted
    assert (report["received"], report["posted"], report["not_finished"]) == (events, events, 0)
    # NetSuite holds each invoice once, with its amount, under the seeded customers
    netsuite = report["netsuite"]
    assert (netsuite["expected"], netsuite["found"]) == (events, events), netsuite
    assert (netsuite["lost"], netsuite["doubled"], netsuite["wrong_amount"]) == (0, 0, 0)
    assert (netsuite["customers_found"], netsuite["customers_doubled"]) == (
        netsuite["customers_expected"], 0)
    # the product's own flow ran once per event, through the worker, with nothing left over
    state = report["accord"]
    assert state["invoice_postings"] == events, state  # a batch's invoices counted one each
    assert state["flows"] == {"SUCCESS": sum(state["flows_by_name"].values())}, state
    assert state["open_exceptions"] == 0, state
    # the figures: latency percentiles over every posting, rates, CPU of the accord processes
    assert set(report["latency"]) >= {"p50_ms", "p95_ms", "p99_ms", "max_ms"}
    ordered = [report["latency"][key] for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")]
    assert ordered == sorted(ordered)
    assert report["offered_rate"] == RATE
    assert report["posted_per_second"] > 0
    assert report["cpu_seconds"] > 0
    assert set(report["cpu_ms_per_event_by_process"]) == {"serve (webhook intake)", "workers"}
    assert all(value > 0 for value in report["cpu_ms_per_event_by_process"].values())
    assert (report["database"], report["workers"]) == ("sqlite", 1)
