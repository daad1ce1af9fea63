"""The short forms of the reliability drills, inside ``make test``: the same code as
``make drills`` (drills/run.py), a few hundred events, real ``accord serve`` and worker
processes, the NetSuite sandbox over HTTP, a fresh PostgreSQL database each."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

DRILLS = Path(__file__).resolve().parents[2] / "drills"
sys.path.insert(0, str(DRILLS))

import run as drills  # noqa: E402 - drills/ is a directory of scripts, not a package

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]


def records_concerned(result: dict[str, Any]) -> str:
    return json.dumps({key: result.get(key) for key in (
        "verdict", "flows_by_status", "failed_flows", "inbox_by_status",
        "open_exception_count", "sender")},
        indent=2, default=str)


def test_kill_storm_short_loses_and_doubles_nothing(postgres_server: str) -> None:
    result = drills.run_drill("kill_storm", 300, 30, 2, True, quiet=True, rate=50.0,
                              kills=4, gap=(1.0, 3.0), api_kills=1, api_gap=(1.0, 2.0))
    verdict = result["verdict"]
    assert verdict["ok"], records_concerned(result)
    assert (verdict["lost"], verdict["doubled"], verdict["wrong_amount"],
            verdict["stuck"]) == (0, 0, 0, 0)
    assert verdict["found"] == 300
    assert result["worker_kills"] >= 4
    assert result["api_kills"] == 1
    # the API was down while deliveries arrived: the sender saw it and delivered again
    assert result["sender"]["connection_errors"] > 0
    assert result["sender"]["gave_up_count"] == 0


def test_hostile_short_refuses_counts_and_processes_once(postgres_server: str) -> None:
    result = drills.run_drill("hostile", 300, 30, 2, True, quiet=True, forged=20)
    verdict = result["verdict"]
    assert verdict["ok"], records_concerned(result)
    assert verdict["found"] == 300
    assert all(verdict["checks"].values()), records_concerned(result)
    counted = result["rejections_counted"]
    assert counted["no signature matches the payload"] >= 20
    assert counted["signature timestamp is outside the tolerance"] >= 5
    assert counted["too large"] == 2
    assert counted["malformed body"] == 5
    deliveries = result["deliveries"]
    assert deliveries["delayed"] > 0
    assert deliveries["replayed"] > 0
    assert result["duplicate_deliveries_recorded"] >= deliveries["duplicated"]


def test_bad_data_short_no_500_every_record_accounted(postgres_server: str) -> None:
    result = drills.run_drill("bad_data", 100, 10, 1, True, quiet=True, record_examples=40,
                              delivery_examples=40, api_examples=3)
    verdict = result["verdict"]
    assert verdict["ok"], records_concerned(result)
    assert result["fuzz"]["accepted_fuzzed_events"] > 0
    assert result["fuzz"]["exception"] > 0


def test_database_connections_cut_short_work_resumes(postgres_server: str) -> None:
    """The safe form of db_restart for a shared server: every connection to the drill's own
    database is terminated at 30 % of the run (the server itself is never restarted here).
    Work resumes by itself: no flow ends failed and no exception is left for the cut."""
    result = drills.run_drill("db_restart", 300, 30, 2, True, quiet=True, mode="terminate")
    verdict = result["verdict"]
    assert verdict["ok"], records_concerned(result)
    assert verdict["found"] == 300
    assert result["db_restart"]["connections_cut"] > 0
    assert "ERROR" not in result["flows_by_status"], records_concerned(result)
    assert result["open_exception_count"] == 0, records_concerned(result)


def test_throttle_short_every_system_within_its_limits(postgres_server: str) -> None:
    """Stripe at 25 requests/s, Salesforce at 5 concurrent requests (each answered after
    250 ms) and 15,000 a day, NetSuite at 5 concurrent; webhooks at 20 events/s, each event
    two Stripe calls, one Salesforce call and one or two NetSuite calls. Every posting lands
    in the three systems, and no system refuses a request after its first refusal (the
    engine paces Stripe at 80 % of its published rate and holds every process off after a
    429)."""
    result = drills.run_drill("throttle", 150, 30, 2, True, quiet=True,
                              **drills.KNOBS["throttle"])
    verdict = result["verdict"]
    assert (verdict["lost"], verdict["doubled"], verdict["wrong_amount"],
            verdict["stuck"]) == (0, 0, 0, 0), records_concerned(result)
    assert verdict["found"] == 150
    assert result["flows_by_status"] == {"SUCCESS": 150}, records_concerned(result)
    assert result["unrecorded"] == {"stripe": [], "salesforce": []}
    limits = result["limits"]
    assert limits["stripe"]["admitted"] >= 300  # read and record, for each event
    salesforce = limits["salesforce"]
    assert 151 <= salesforce["daily_used"] <= salesforce["daily_allocation"] == 15_000
    checks = verdict["checks"]
    assert set(checks) >= {"stripe: no refusal after the first",
                           "salesforce: no refusal after the first",
                           "netsuite: no refusal after the first",
                           "salesforce: daily requests within the allocation"}
    assert all(checks.values()), verdict["failures"]
