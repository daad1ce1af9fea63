"""Reconciliation memory and speed: peak memory stays flat as volume grows.

Three parts, each printed and written to bench/results/reconcile.json:

1. matcher: two streams of invoice records (one amount mismatch planted per 1,000 keys)
   compared through the disk-backed matcher at several volumes.
2. full run: 100,000 invoices and 100,000 payments per system (Stripe-shaped source,
   NetSuite-shaped target) through ``run_reconciliation``: comparisons, control totals and
   their cross-system differences, every difference stored with its exception (SQLite).
   Target: under 60 s and under 500 MB.
3. readers: the NetSuite reader over a NetSuite sandbox running in another process (so only
   the reader's memory is measured), customer payments read in SuiteQL pages of 500, at two
   volumes. (Invoices are not used here: their subtotals join ``transactionline`` to
   ``transaction``, which the sandbox's SuiteQL evaluates as a nested loop on every page, so
   its own time, not the reader's, would dominate.)
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from accord.canonical import Money
from accord.canonical.period import period_of
from accord.canonical.reconciliation import Contribution, Entity, Measure
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.reconciliation import NetSuiteReader
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.engine.owners import OwnerRules
from accord.reconcile import RecordView, compare
from accord.reconcile.runs import Comparison, run_reconciliation
from accord.store import Database, upgrade

VOLUMES = (10_000, 50_000, 200_000)
FULL_VOLUME = 100_000
READER_VOLUMES = (2_000, 8_000)
READER_PAGE = 500
RESULTS = Path(__file__).parent / "results" / "reconcile.json"
PERIOD = "2026-11"


def stream(count: int, *, target: bool) -> Iterator[RecordView]:
    for i in range(count):
        cents = 10_000 + i % 997
        if target and i % 1000 == 0:
            cents += 1  # a planted amount mismatch
        yield RecordView(f"INV-{i:09d}", f"{'ns' if target else 'in'}_{i}",
                         Money.from_minor_units(cents, "USD"), "open")


def measured(fn: Callable[[], int]) -> tuple[int, float, float]:
    """(result, seconds, peak traced MiB)."""
    tracemalloc.start()
    started = time.perf_counter()
    result = fn()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# -- 1. the matcher ----------------------------------------------------------------------------
def matcher_run(count: int) -> dict[str, float]:
    differences, elapsed, peak = measured(lambda: sum(1 for _ in compare(
        stream(count, target=False), stream(count, target=True), entity="invoice",
        source_system="stripe", target_system="netsuite")))
    assert differences == (count + 999) // 1000, differences
    return {"records": count, "seconds": round(elapsed, 3),
            "records_per_second": round(2 * count / elapsed), "peak_mib": round(peak, 2),
            "differences": differences}


# -- 2. a full run ------------------------------------------------------------------------------
def documents(kind: str, count: int, *, target: bool) -> Iterator[RecordView]:
    for i in range(count):
        cents = 5_000 + (i * 7) % 10_007
        if target and i % 1000 == 1:
            cents += 100  # one amount mismatch per 1,000
        if target and i % 1000 == 2:
            continue  # one missing posting per 1,000
        yield RecordView(f"{kind}-{i:09d}", f"{'ns' if target else 'st'}-{kind}-{i}",
                         Money.from_minor_units(cents, "USD"), "open")


def contributions_of(count: int, system: str, *, target: bool) -> Iterator[Contribution]:
    for view in documents("INV", count, target=target):
        assert view.amount is not None
        yield Contribution(system, "US01", PERIOD, Measure.INVOICED, view.amount)
    for view in documents("PAY", count, target=target):
        assert view.amount is not None
        yield Contribution(system, "US01", PERIOD, Measure.CASH, view.amount)


def full_run(count: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as directory:
        database = Database(f"sqlite:///{directory}/bench.db")
        upgrade(database.engine)
        comparisons = [
            Comparison(entity, "stripe", "netsuite",
                       lambda kind=kind: documents(kind, count, target=False),  # type: ignore[misc]
                       lambda kind=kind: documents(kind, count, target=True))  # type: ignore[misc]
            for entity, kind in (("invoice", "INV"), ("payment", "PAY"))]

        def run() -> int:
            def both() -> Iterator[Contribution]:
                yield from contributions_of(count, "stripe", target=False)
                yield from contributions_of(count, "netsuite", target=True)

            report = run_reconciliation(database, OwnerRules(), comparisons, both(),
                                        period=PERIOD, compare_totals=("stripe", "netsuite"))
            assert len(report.total_differences) == 2
            return len(report.differences)

        differences, elapsed, peak = measured(run)
        database.dispose()
    records = 4 * count
    expected = 2 * 2 * (count // 1000)
    assert differences == expected, (differences, expected)
    return {"documents_per_system": 2 * count, "records_read": records,
            "seconds": round(elapsed, 2), "records_per_second": round(records / elapsed),
            "peak_traced_mib": round(peak, 2), "peak_rss_mib": round(peak_rss_mib(), 1),
            "differences": differences}


# -- 3. the NetSuite reader against a sandbox in another process --------------------------------
def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_netsuite() -> tuple[subprocess.Popen[bytes], NetSuiteSettings]:
    port = _free_port()
    accord = str(Path(sys.executable).with_name("accord"))
    process = subprocess.Popen([accord, "sandbox", "start", "netsuite", "--port", str(port)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    creds = json.loads(subprocess.run([accord, "sandbox", "credentials", "netsuite"],
                                      capture_output=True, text=True, check=True).stdout)
    base_url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            if httpx.get(f"{base_url}/__sandbox/health").status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.05)
    settings = NetSuiteSettings(base_url=base_url, account_id=creds["account_id"],
                                consumer_key=creds["consumer_key"],
                                consumer_secret=creds["consumer_secret"],
                                token_id=creds["token_id"], token_secret=creds["token_secret"])
    return process, settings


def _seed(client: NetSuiteClient, start: int, count: int) -> None:
    today = datetime.now(UTC).date().isoformat()

    def post(i: int) -> None:
        client.create("customerPayment", {
            "customer": {"externalId": "bench-customer"}, "currency": {"id": "1"},
            "tranDate": today, "payment": Decimal(100 + i % 97), "undepFunds": True,
            "externalId": f"bench-{i}"})

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(post, range(start, start + count)))


def reader_runs() -> list[dict[str, Any]]:
    process, settings = _start_netsuite()
    rows = []
    try:
        with NetSuiteClient(settings) as client:
            client.upsert("customer", "bench-customer", {
                "companyName": "Bench Co", "subsidiary": {"id": "1"}, "currency": {"id": "1"}})
            reader = NetSuiteReader(client, load_refdata(), page_size=READER_PAGE)
            seeded = 0
            for volume in READER_VOLUMES:
                _seed(client, seeded, volume - seeded)
                seeded = volume

                def read() -> int:
                    records = sum(1 for _ in reader.records(Entity.PAYMENT))
                    return records + sum(1 for _ in reader.contributions())

                read_count, elapsed, peak = measured(read)
                assert read_count == 2 * volume, read_count  # a record and a contribution each
                rows.append({"payments": volume, "seconds": round(elapsed, 2),
                             "payments_per_second": round(2 * volume / elapsed),
                             "peak_traced_mib": round(peak, 2), "period": period_of(
                                 datetime.now(UTC).date())})
    finally:
        process.terminate()
        process.wait(timeout=10)
    return rows


def main() -> None:
    matcher = [matcher_run(count) for count in VOLUMES]
    print(f"{'records':>10} {'seconds':>8} {'records/s':>10} {'peak MiB':>9}")
    for row in matcher:
        print(f"{row['records']:>10} {row['seconds']:>8} {row['records_per_second']:>10} "
              f"{row['peak_mib']:>9}")
    growth = matcher[-1]["peak_mib"] / max(matcher[0]["peak_mib"], 0.01)
    print(f"peak memory ratio {VOLUMES[-1]:,} vs {VOLUMES[0]:,} records: {growth:.2f}x "
          f"(volume ratio {VOLUMES[-1] / VOLUMES[0]:.0f}x)")

    full = full_run(FULL_VOLUME)
    within = full["seconds"] < 60 and full["peak_rss_mib"] < 500
    print(f"\nfull run, {FULL_VOLUME:,} invoices and {FULL_VOLUME:,} payments per system: "
          f"{full['seconds']} s, {full['records_per_second']} records/s, peak traced "
          f"{full['peak_traced_mib']} MiB, peak RSS {full['peak_rss_mib']} MiB, "
          f"{full['differences']} differences ({'within' if within else 'OVER'} target "
          "60 s / 500 MB)")

    readers = reader_runs()
    print(f"\n{'payments':>10} {'seconds':>8} {'payments/s':>11} {'peak MiB':>9}  "
          "(NetSuite reader, sandbox in another process)")
    for row in readers:
        print(f"{row['payments']:>10} {row['seconds']:>8} {row['payments_per_second']:>11} "
              f"{row['peak_traced_mib']:>9}")
    reader_growth = readers[-1]["peak_traced_mib"] / max(readers[0]["peak_traced_mib"], 0.01)
    print(f"reader peak memory ratio {READER_VOLUMES[-1]:,} vs {READER_VOLUMES[0]:,} payments: "
          f"{reader_growth:.2f}x")

    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({
        "runs": matcher, "peak_memory_ratio": growth,
        "full_run": {**full, "within_target": within},
        "readers": {"netsuite": readers, "peak_memory_ratio": reader_growth}}, indent=2) + "\n")


if __name__ == "__main__":
    main()
