"""Scaling: how time and memory grow with the number of events (1k, 10k, 100k).

Each size is a fresh hub run (bench/hub.py): SQLite, one worker, batch flows posting invoices
to a zero-latency NetSuite sandbox in its own process, with the same verdict (nothing lost,
doubled or wrong). Time should grow linearly (seconds per 1,000 events stays flat) and the
worker's peak memory should not grow with the volume. The sandbox's memory grows with the
records it holds (it is the ERP keeping every invoice) and is reported apart.

    .venv/bin/python bench/scaling.py [--sizes 1000 10000 100000]

Writes bench/results/scaling.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

RESULTS = HERE / "results" / "scaling.json"


def main() -> None:
    import hub

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args()

    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average_at_start": hub.load()},
        "command": " ".join(["bench/scaling.py", *sys.argv[1:]]), "runs": []}
    for size in args.sizes:
        run = hub.run(kind="sqlite", workers=1, events=size, customers=args.customers,
                      batched=True, batch=args.batch, pg_url="", tag=f"sc{size}")
        entry = {"events": size, "seconds": run["seconds"], "events_per_s": run["events_per_s"],
                 "seconds_per_1000_events": round(run["seconds"] * 1000 / size, 3),
                 "worker_cpu_ms_per_event": run["worker_cpu_ms_per_event"],
                 "worker_peak_rss_mb": run["worker_peak_rss_mb"][0],
                 "sandbox_peak_rss_mb": run["sandbox_peak_rss_mb"],
                 "intake_events_per_s": run["intake_events_per_s"],
                 "verdict": run["verdict"], "load_average": run["load_average"]}
        print(f"{size:>7} events: {entry['seconds']:.1f} s, "
              f"{entry['seconds_per_1000_events']:.3f} s per 1,000, "
              f"worker CPU {entry['worker_cpu_ms_per_event']:.2f} ms/event, "
              f"worker peak RSS {entry['worker_peak_rss_mb']} MB, sandbox peak RSS "
              f"{entry['sandbox_peak_rss_mb']} MB; verdict {entry['verdict']}; "
              f"load {entry['load_average']}", flush=True)
        results["runs"].append(entry)
    runs = results["runs"]
    if len(runs) > 1:
        first, last = runs[0], runs[-1]
        results["time_growth"] = round(last["seconds"] / first["seconds"], 2)
        results["volume_growth"] = round(last["events"] / first["events"], 2)
        results["worker_memory_growth"] = round(
            last["worker_peak_rss_mb"] / first["worker_peak_rss_mb"], 2)
        print(f"{results['volume_growth']}x the events took {results['time_growth']}x the "
              f"time; the worker's peak memory grew {results['worker_memory_growth']}x")
    results["machine"]["load_average_at_end"] = hub.load()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
