"""The short form of the scale-out drills inside ``make test``: the partition drill
(drills/scale.py) at a tiny size, with the same code as ``make drills``. PostgreSQL, the API
and three workers run as separate hosts in network namespaces (drills/hosts.py, a private
PostgreSQL 15 of their own); one worker's link to the database is cut for longer than its
lease, a survivor takes its flows over, and the worker comes back while they finish - a
zombie. Nothing may be lost, doubled, wrong or stuck, and the zombie must have noticed.

Namespaces need root, iproute2, socat and PostgreSQL 15's server binaries: without them the
test fails under ``CI=true`` and skips with the reason otherwise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import missing_component

DRILLS = Path(__file__).resolve().parents[2] / "drills"
sys.path.insert(0, str(DRILLS))

import run as drills  # noqa: E402 - drills/ is a directory of scripts, not a package
from hosts import unavailable  # noqa: E402

pytestmark = [pytest.mark.timeout(600)]


def test_partitioned_worker_comes_back_a_zombie_and_doubles_nothing() -> None:
    if reason := unavailable():
        missing_component(f"the drills' hosts cannot be made here: {reason}")
    result = drills.run_drill("partition", 30, 3, 3, True, quiet=True, rate=10.0,
                              lease_seconds=4, heartbeat_seconds=1)
    verdict = result["verdict"]
    assert (verdict["lost"], verdict["doubled"], verdict["wrong_amount"],
            verdict["stuck"]) == (0, 0, 0, 0), verdict
    assert verdict["found"] == verdict["expected"] == 30
    found = result["partition"]
    # a survivor claimed the cut worker's lease while it was cut, exactly once, and the
    # worker, reconnected, saw that its lease had been taken
    assert found["adopted"], found
    assert found["takeovers"] == 1, found
    assert found["adopter"] != found["worker"]
    assert found["zombie_noticed_s_after_mend"] is not None, found
    assert verdict["ok"], verdict
    assert "ERROR" not in result["flows_by_status"], result["failed_flows"]
    # every namespace of the run is gone
    listed = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True,
                            check=True).stdout
    assert result["hosts_prefix"] not in listed
