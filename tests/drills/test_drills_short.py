"""The short forms of the reliability drills, inside ``make test``: the same code as
``make drills`` (drills/run.py) on the product's flows, with real ``accord serve
--no-workers`` and ``accord worker`` processes and the three sandboxes as subprocesses, on a
fresh PostgreSQL database.

Setting a deployment up (seven processes, customers won in Salesforce) is most of a drill's
time, so the short forms share one stage, as ``make drills`` does not: each drill runs its
own workload of new Stripe invoices on it, in turn, and is judged on that workload alone."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DRILLS = Path(__file__).resolve().parents[2] / "drills"
sys.path.insert(0, str(DRILLS))

import run as drills  # noqa: E402 - drills/ is a directory of scripts, not a package
from harness import Stage  # noqa: E402

pytestmark = [pytest.mark.postgres, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def stage(postgres_server: str) -> Iterator[Stage]:
    with drills.shared_stage(customers=6, workers=2) as found:
        yield found


def records_concerned(result: dict[str, Any]) -> str:
    return json.dumps({key: result.get(key) for key in (
        "verdict", "flows_by_status", "failed_flows", "inbox_by_status",
        "open_exception_count", "open_exceptions", "sender")},
        indent=2, default=str)


def zero_verdicts(result: dict[str, Any], events: int) -> None:
    verdict = result["verdict"]
    assert (verdict["lost"], verdict["doubled"], verdict["wrong_amount"],
            verdict["stuck"]) == (0, 0, 0, 0), records_concerned(result)
    assert verdict["found"] == verdict["expected"] == events
    assert verdict["ok"], records_concerned(result)


def test_kill_storm_short_loses_and_doubles_nothing(stage: Stage) -> None:
    result = drills.run_drill("kill_storm", 100, 6, 2, True, quiet=True, stage=stage,
                              rate=25.0, kills=3, gap=(1.0, 2.0), api_kills=1,
                              api_gap=(0.5, 1.0))
    zero_verdicts(result, 100)
    assert result["worker_kills"] >= 3
    assert result["api_kills"] == 1
    # the API was down while deliveries arrived: the sender saw it and delivered again
    assert result["sender"]["connection_errors"] > 0
    assert result["sender"]["gave_up_count"] == 0


def test_database_connections_cut_short_work_resumes(stage: Stage) -> None:
    """The safe form of db_restart for a shared server: every connection to the drill's own
    database is terminated at 30 % of the run (the server itself is never restarted here).
    Work resumes by itself: no flow ends failed and no exception is left for the cut."""
    result = drills.run_drill("db_restart", 80, 6, 2, True, quiet=True, stage=stage,
                              rate=15.0, mode="terminate")
    zero_verdicts(result, 80)
    assert result["db_restart"]["connections_cut"] > 0
    assert "ERROR" not in result["flows_by_status"], records_concerned(result)
    assert result["open_exception_count"] == 0, records_concerned(result)


def test_hostile_short_refuses_counts_and_processes_once(stage: Stage) -> None:
    result = drills.run_drill("hostile", 80, 6, 2, True, quiet=True, stage=stage, forged=10)
    zero_verdicts(result, 80)
    assert all(result["verdict"]["checks"].values()), records_concerned(result)
    counted = result["rejections_counted"]
    assert counted["no signature matches the payload"] >= 10
    assert counted["signature timestamp is outside the tolerance"] >= 5
    assert counted["too large"] == 2
    assert counted["malformed body"] == 5
    deliveries = result["deliveries"]
    assert deliveries["late"] > 0
    assert deliveries["replayed"] > 0
    assert result["duplicate_deliveries_recorded"] >= deliveries["duplicated"]


def test_throttle_short_every_system_within_its_limits(stage: Stage) -> None:
    """Stripe at 25 requests/s, Salesforce at 5 concurrent requests (each answered after
    250 ms) and 15,000 a day, NetSuite at 5 concurrent; webhooks at 20 events/s, each
    event a Stripe read and a NetSuite posting, while the Salesforce change polls run.
    Every invoice is posted, and no system refuses a request after its first refusal."""
    result = drills.run_drill("throttle", 100, 6, 2, True, quiet=True, stage=stage,
                              **drills.KNOBS["throttle"])
    zero_verdicts(result, 100)
    assert "ERROR" not in result["flows_by_status"], records_concerned(result)
    limits = result["limits"]
    assert limits["stripe"]["admitted"] >= 100  # the posting reads each invoice
    salesforce = limits["salesforce"]
    assert 0 < salesforce["daily_used"] <= salesforce["daily_allocation"] == 15_000
    checks = result["verdict"]["checks"]
    assert set(checks) >= {"stripe: no refusal after the first",
                           "salesforce: no refusal after the first",
                           "netsuite: no refusal after the first",
                           "salesforce: daily requests within the allocation"}
    assert all(checks.values()), result["verdict"]["failures"]


def test_bad_data_short_no_500_every_record_accounted(stage: Stage) -> None:
    result = drills.run_drill("bad_data", 40, 6, 2, True, quiet=True, stage=stage,
                              record_examples=25, delivery_examples=25, api_examples=2)
    zero_verdicts(result, 40)
    assert all(result["verdict"]["checks"].values()), records_concerned(result)
    assert result["fuzz"]["accepted_fuzzed_events"] > 0
    assert result["fuzz"]["exception"] > 0  # a fuzzed invoice id: an exception naming it
