"""Reconciliation memory and speed: peak Python memory stays flat as volume grows.

Compares two streams of invoice records (one difference planted per 1,000 keys) at several
volumes and prints records/s and peak traced memory. Writes bench/results/reconcile.json.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

from accord.canonical import Money
from accord.reconcile import RecordView, compare

VOLUMES = (10_000, 50_000, 200_000)
RESULTS = Path(__file__).parent / "results" / "reconcile.json"


def stream(count: int, *, target: bool) -> Iterator[RecordView]:
    for i in range(count):
        cents = 10_000 + i % 997
        if target and i % 1000 == 0:
            cents += 1  # a planted amount mismatch
        yield RecordView(f"INV-{i:09d}", f"{'ns' if target else 'in'}_{i}",
                         Money.from_minor_units(cents, "USD"), "open")


def run(count: int) -> dict[str, float]:
    tracemalloc.start()
    started = time.perf_counter()
    differences = sum(1 for _ in compare(stream(count, target=False), stream(count, target=True),
                                         entity="invoice", source_system="stripe",
                                         target_system="netsuite"))
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert differences == (count + 999) // 1000, differences
    return {"records": count, "seconds": round(elapsed, 3),
            "records_per_second": round(2 * count / elapsed),
            "peak_mib": round(peak / 2**20, 2), "differences": differences}


def main() -> None:
    rows = [run(count) for count in VOLUMES]
    print(f"{'records':>10} {'seconds':>8} {'records/s':>10} {'peak MiB':>9}")
    for row in rows:
        print(f"{row['records']:>10} {row['seconds']:>8} {row['records_per_second']:>10} "
              f"{row['peak_mib']:>9}")
    growth = rows[-1]["peak_mib"] / max(rows[0]["peak_mib"], 0.01)
    print(f"peak memory ratio {VOLUMES[-1]:,} vs {VOLUMES[0]:,} records: {growth:.2f}x "
          f"(volume ratio {VOLUMES[-1] / VOLUMES[0]:.0f}x)")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"runs": rows, "peak_memory_ratio": growth}, indent=2) + "\n")


if __name__ == "__main__":
    main()
