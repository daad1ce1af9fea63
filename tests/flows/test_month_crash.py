"""The month again, with the worker SIGKILLed part-way (right after a NetSuite invoice
upsert, before the engine recorded it) and restarted: the same end state."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from accord.demo.scenario import Defect
from accord.demo.seeding import CARDS, seed_scenario, win_deals
from accord.flows.systems import Systems
from accord.store import Database

from .conftest import sandbox_overrides
from .month import current_month, recover_declines, refund_deal
from .test_month import check_month_end_state

WORKER = Path(__file__).parent / "month_worker.py"


def run_worker(database_url: str, config: Path, crash_after: int | None = None
               ) -> subprocess.CompletedProcess[str]:
    root = Path(__file__).parents[2]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    if crash_after is not None:
        env["ACCORD_TEST_CRASH_AFTER_POSTS"] = str(crash_after)
    return subprocess.run([sys.executable, str(WORKER), database_url, str(config)], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_month_with_the_worker_killed_part_way(sandboxes, make_systems, sqlite_url,
                                               tmp_path: Path) -> None:
    from accord.demo.scenario import generate

    found: Systems = make_systems()
    scenario = generate(seed=1, accounts=12, month=current_month())
    seeded = seed_scenario(found.salesforce, scenario)
    cards = {seeded.accounts[d.account_ref]: CARDS[d.payment] for d in scenario.deals}
    config = tmp_path / "systems.json"
    config.write_text(json.dumps({"systems": sandbox_overrides(sandboxes), "cards": cards}))
    duplicate = {a.ref for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE}

    win_deals(found.salesforce, seeded,
              [d.ref for d in scenario.deals if d.account_ref not in duplicate])
    crashed = run_worker(sqlite_url, config, crash_after=3)
    assert crashed.returncode == -signal.SIGKILL, crashed.stderr[-2000:]
    restarted = run_worker(sqlite_url, config)
    assert restarted.returncode == 0, restarted.stderr[-2000:]

    win_deals(found.salesforce, seeded,
              [d.ref for d in scenario.deals if d.account_ref in duplicate])
    assert run_worker(sqlite_url, config).returncode == 0
    recover_declines(found, scenario, seeded)
    assert run_worker(sqlite_url, config).returncode == 0
    refund = next(d for d in scenario.deals if d.refund)
    refund_deal(found, seeded.deals[refund.ref])
    assert run_worker(sqlite_url, config).returncode == 0

    database = Database(sqlite_url)
    try:
        check_month_end_state(database, found, scenario, seeded)
    finally:
        database.dispose()
