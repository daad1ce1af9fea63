"""``accord demo`` end to end on a small month: sandboxes, faults, webhooks, summary."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


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
