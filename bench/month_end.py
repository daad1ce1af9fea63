"""Month-end run: many invoices posted to a NetSuite sandbox that answers each call after
150 ms and admits 5 concurrent requests (a standard account's limit), against the physical
floor.

The floor is what the ERP allows at best: ``calls x latency / concurrency``. The run goes
through accord end to end - events stored in the inbox, a worker (SQLite) pumping them into
flows - in two ways:

* ``batched``: batch flows using NetSuite's REST batch operations (100 records per request,
  each batch four calls: submit, job status, task list, task result). Floor:
  ``4 x ceil(invoices / 100) x latency / concurrency``.
* ``single``: one flow and one upsert call per invoice. Floor:
  ``invoices x latency / concurrency`` (20,000 invoices: 600 s).

``--connector`` adds a run without the engine: the NetSuite connector alone posts the same
invoices in batches of 100 from ``2 x concurrency`` threads sharing one client (its gate admits
``concurrency`` requests at once). It separates what the ERP allows
from what the worker's own CPU adds on a busy machine.

The ratio is elapsed / floor, both for the minimal number of calls and for the calls the
sandbox actually admitted; the sandbox also counts requests refused for its limit (must be 0).

    .venv/bin/python bench/month_end.py [--invoices 20000] [--single-invoices 2000]
                                        [--latency-ms 150] [--concurrency 5] [--skip-single]

Writes bench/results/month_end.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))

RESULTS = HERE / "results" / "month_end.json"
CALLS_PER_BATCH = 4


def connector_run(args: argparse.Namespace) -> dict[str, Any]:
    """The connector alone: ``2 x concurrency`` threads posting batches of invoices through
    one client, whose gate admits ``concurrency`` requests at once."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    import hub
    from support.netsuite_process import NetSuiteProcess

    from accord.connectors.netsuite.client import NetSuiteClient
    from accord.connectors.netsuite.posting import NetSuitePoster
    from accord.connectors.netsuite.refdata import load_refdata

    people, invoices = hub.workload(args.invoices, args.customers, "mec")
    started_load = hub.load()
    with NetSuiteProcess(concurrency=args.concurrency) as sandbox, \
            NetSuiteClient(sandbox.settings()) as client:
        poster = NetSuitePoster(client, load_refdata())
        for person in people:
            poster.post_customer(person)
        sandbox.set_latency(args.latency_ms)
        chunks = [invoices[n:n + args.batch] for n in range(0, len(invoices), args.batch)]
        began = time.perf_counter()
        # twice as many threads as slots: one thread maps its next batch while the client's
        # gate (5 per process) keeps the others' calls within the limit
        with ThreadPoolExecutor(2 * args.concurrency) as pool:
            posted = [r for batch in pool.map(poster.post_invoices, chunks) for r in batch]
        elapsed = time.perf_counter() - began
        governance = sandbox.governance()
    floor = CALLS_PER_BATCH * len(chunks) * args.latency_ms / 1000 / args.concurrency
    entry = {"invoices": args.invoices, "elapsed_seconds": round(elapsed, 3),
             "floor_seconds": round(floor, 3),
             "ratio_to_floor": round(elapsed / floor, 3) if floor else None,
             "calls_made": governance["admitted"], "refused_for_limit": governance["rejected"],
             "failed_records": sum(1 for r in posted if not r.ok),
             "load_average": {"start": started_load, "end": hub.load()}}
    print(f"  connector alone: {args.invoices} invoices in {elapsed:.1f} s; floor {floor:.1f} s; "
          f"ratio {entry['ratio_to_floor']}x; refused for the limit "
          f"{entry['refused_for_limit']}; failed records {entry['failed_records']}; "
          f"load {entry['load_average']}", flush=True)
    return entry


def main() -> None:
    import hub

    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--single-invoices", type=int, default=2000,
                        help="invoices for the one-call-per-invoice run (its floor is "
                             "invoices x latency / concurrency: 60 s for 2,000)")
    parser.add_argument("--customers", type=int, default=200)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--latency-ms", type=int, default=150)
    parser.add_argument("--concurrency", type=int, default=5)
    parser.add_argument("--skip-single", action="store_true")
    parser.add_argument("--connector", action="store_true",
                        help="also post through the connector alone (no engine)")
    parser.add_argument("--only-connector", action="store_true",
                        help="run only the connector-alone run and add it to the last results")
    parser.add_argument("--profile", type=Path, default=None,
                        help="sample the worker with py-spy into this directory")
    args = parser.parse_args()

    latency = args.latency_ms / 1000
    if args.only_connector:
        earlier = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
        earlier["connector_only"] = {**connector_run(args), "command": " ".join(
            ["bench/month_end.py", *sys.argv[1:]])}
        RESULTS.parent.mkdir(parents=True, exist_ok=True)
        RESULTS.write_text(json.dumps(earlier, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {RESULTS}")
        return
    results: dict[str, Any] = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average_at_start": hub.load()},
        "command": " ".join(["bench/month_end.py", *sys.argv[1:]]),
        "latency_ms": args.latency_ms, "concurrency_limit": args.concurrency, "runs": []}
    modes = [("batched", args.invoices)]
    if not args.skip_single:
        modes.append(("single", args.single_invoices))
    for mode, invoices in modes:
        batched = mode == "batched"
        print(f"{mode}: {invoices} invoices ...", flush=True)
        run = hub.run(kind="sqlite", workers=1, events=invoices, customers=args.customers,
                      batched=batched, batch=args.batch, pg_url="", tag=f"me{mode[0]}",
                      latency_ms=args.latency_ms, concurrency=args.concurrency,
                      profile=args.profile / mode if args.profile else None)
        minimal_calls = (CALLS_PER_BATCH * math.ceil(invoices / args.batch) if batched
                         else invoices)
        calls = run["netsuite"]["calls"]
        floor = minimal_calls * latency / args.concurrency
        floor_admitted = calls * latency / args.concurrency
        entry = {
            "mode": mode, "invoices": invoices, "batch": args.batch if batched else 1,
            "elapsed_seconds": run["seconds"], "invoices_per_s": run["events_per_s"],
            "calls_minimal": minimal_calls, "calls_made": calls,
            "floor_seconds": round(floor, 3), "ratio_to_floor": round(run["seconds"] / floor, 3),
            "floor_seconds_for_calls_made": round(floor_admitted, 3),
            "ratio_to_floor_for_calls_made": round(run["seconds"] / floor_admitted, 3),
            "refused_for_limit": run["netsuite"]["refused_for_limit"],
            "peak_concurrent": run["netsuite"]["peak_concurrent"],
            "worker_cpu_ms_per_invoice": run["worker_cpu_ms_per_event"],
            "worker_peak_rss_mb": run["worker_peak_rss_mb"], "exceptions": run["exceptions"],
            "verdict": run["verdict"], "load_average": run["load_average"]}
        print(f"  {mode}: {invoices} invoices in {entry['elapsed_seconds']:.1f} s; floor "
              f"{floor:.1f} s ({minimal_calls} calls x {args.latency_ms} ms / "
              f"{args.concurrency}); ratio {entry['ratio_to_floor']:.3f}x "
              f"({calls} calls made: {entry['ratio_to_floor_for_calls_made']:.3f}x); "
              f"refused for the limit: {entry['refused_for_limit']}; peak concurrent "
              f"{entry['peak_concurrent']}; verdict {entry['verdict']}; "
              f"load {entry['load_average']}", flush=True)
        results["runs"].append(entry)
    if args.connector:
        results["connector_only"] = connector_run(args)
    by = {r["mode"]: r for r in results["runs"]}
    if "single" in by:
        projected = args.invoices * latency / args.concurrency * by["single"]["ratio_to_floor"]
        results["single_projected_seconds_for_batched_volume"] = round(projected, 1)
        results["batching_speedup"] = round(projected / by["batched"]["elapsed_seconds"], 1)
        print(f"one call per invoice would take ~{projected:.0f} s for {args.invoices} "
              f"invoices (its floor x its measured ratio): batching is "
              f"{results['batching_speedup']}x faster", flush=True)
    results["machine"]["load_average_at_end"] = hub.load()
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
