"""Peers side by side: the same Stripe events through a synchronous script, Celery on
RabbitMQ, and accord; then the same three troubles for each.

    .venv/bin/python bench/peers/run.py [--events N] [--customers N] [--rate R]
                                        [--kills K] [--outage S] [--peers sync,celery,accord]

For every peer and run, a fresh NetSuite sandbox (in this process) and fresh peer state:

* ``burst``: every event delivered at once; throughput (events / time to the last posting)
  and the peak resident memory of the peer's processes;
* ``paced``: events delivered at ``--rate`` per second; latency from delivery to posting;
* ``kill_storm``: the peer's processes are SIGKILLed ``--kills`` times at random moments
  (the whole process group, as a container kill does) and restarted;
* ``outage``: NetSuite answers 503 for ``--outage`` seconds, then hangs (504) for 10 s, once
  a fifth of the events are posted;
* ``duplicates``: every third event is delivered a second time a little later.

Each run ends with a verdict read from NetSuite: invoices lost, doubled, with a wrong amount,
and customers missing or doubled. Figures go to ``bench/results/peers.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent.parent))  # bench/: the support package
sys.path.insert(0, str(Path(__file__).parent))

import httpx
from rich.console import Console
from rich.table import Table
from support.accord_service import AccordService, netsuite_invoices_and_customers
from support.processes import ProcessSampler, kill_group, spawn, stop_groups, tree
from support.workload import Plan, Workload, generate, percentiles, verdict
from support.world import Seeded, World, write_customer_map
from workload import read_done, write_feed

from accord.testing.databases import postgres_available as server_answers
from accord.testing.databases import scratch_database

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
PG_URL = os.environ.get("ACCORD_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
BROKER = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
RUNS = ("burst", "paced", "kill_storm", "outage", "duplicates")
console = Console(width=max(Console().width, 150))


# -- peers ----------------------------------------------------------------------------------
class Peer:
    """One way of moving the events; started per run with its own state directory."""

    name = ""

    def __init__(self, env: dict[str, str], state: Path) -> None:
        self.env = {**os.environ, **env, "BENCH_STATE": str(state), "PYTHONUNBUFFERED": "1"}
        self.state = state
        self.log = (state / "peer.log").open("a")
        self.procs: list[subprocess.Popen[bytes]] = []
        self.kills = 0

    def spawn(self, args: list[str]) -> subprocess.Popen[bytes]:
        proc = spawn(args, env=self.env, cwd=HERE, log=self.log)
        self.procs.append(proc)
        return proc

    def start(self) -> None:
        raise NotImplementedError

    def ready(self) -> bool:
        """The peer has started and can take deliveries at full speed."""
        return True

    def deliver(self, delivery: dict[str, Any]) -> None:
        raise NotImplementedError

    def end_of_deliveries(self) -> None:
        """Nothing more will be delivered."""

    def idle(self) -> bool:
        """Nothing waiting or running that the peer could still finish."""
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL the live process group(s), then start again."""
        for proc in self.procs:
            kill_group(proc)
        self.procs = []
        self.kills += 1
        self.start()

    def pids(self) -> list[int]:
        return tree(self.procs)

    def stop(self) -> None:
        stop_groups(self.procs)
        self.log.close()

    def describe(self) -> str:
        return ""

    def roles(self) -> dict[str, set[int]]:
        """The peer's processes by what they do (every one it started, killed ones too)."""
        return {}

    def done(self) -> dict[str, float]:
        """When each invoice was first posted (epoch seconds), by Stripe invoice id: the peer
        appends ``<invoice> <time>`` to a done log once NetSuite answered the upsert."""
        return read_done(self.state / "done.log") | read_done(self.state / "script" / "done.log")

    def diagnostics(self) -> dict[str, Any]:
        """What the peer itself knows about work it did not finish."""
        return {}


class SyncScript(Peer):
    name = "sync"

    def __init__(self, env: dict[str, str], state: Path) -> None:
        super().__init__(env, state)
        self.feed = state / "feed.jsonl"
        self.feed.touch()
        self._feed = self.feed.open("a")
        self.ended = False

    def start(self) -> None:
        self.spawn([sys.executable, str(HERE / "sync_script.py"), str(self.feed),
                    str(self.state / "script")])

    def deliver(self, delivery: dict[str, Any]) -> None:
        self._feed.write(json.dumps(delivery) + "\n")
        self._feed.flush()

    def end_of_deliveries(self) -> None:
        self._feed.close()
        write_feed(self.feed, [], end=True)
        self.ended = True

    def kill(self) -> None:
        if all(proc.poll() is not None for proc in self.procs):
            return  # the script has finished the feed; nothing left to kill
        super().kill()

    def idle(self) -> bool:
        return self.ended and all(proc.poll() is not None for proc in self.procs)

    def describe(self) -> str:
        return "one process, one event at a time; urllib3 Retry(total=3, backoff 0.5 s)"


class CeleryGlue(Peer):
    name = "celery"
    concurrency = 4

    def __init__(self, env: dict[str, str], state: Path) -> None:
        self.queue = f"bench-peers-{uuid.uuid4().hex[:8]}"
        super().__init__({**env, "BENCH_QUEUE": self.queue, "BENCH_BROKER_URL": BROKER}, state)
        os.environ.update({"BENCH_QUEUE": self.queue, "BENCH_STATE": str(state)})
        import celery_glue

        celery_glue.app.conf.task_default_queue = self.queue
        self.app = celery_glue.app
        self.task = celery_glue.handle_event
        self.producer = self.app.producer_pool.acquire(block=True)

    def start(self) -> None:
        self.spawn([sys.executable, "-m", "celery", "-A", "celery_glue", "worker",
                    "--pool", "prefork", "--concurrency", str(self.concurrency), "-Q",
                    self.queue, "--loglevel", "WARNING", "--without-gossip", "--without-mingle",
                    "--without-heartbeat"])

    def ready(self) -> bool:
        return bool(self.app.control.ping(timeout=0.5))

    def deliver(self, delivery: dict[str, Any]) -> None:
        self.task.apply_async(args=[delivery], queue=self.queue, producer=self.producer)

    def waiting(self) -> int:
        with self.app.connection_for_write() as connection:
            declared = connection.default_channel.queue_declare(self.queue, passive=True)
            return int(declared.message_count)

    def idle(self) -> bool:
        # ready messages only: tasks held by a worker (running, or waiting for a retry's
        # countdown) are unacknowledged and not counted, so the caller also waits for quiet
        return self.waiting() == 0

    def stop(self) -> None:
        super().stop()
        self.producer.release()
        with self.app.connection_for_write() as connection:
            connection.default_channel.queue_delete(self.queue)

    def describe(self) -> str:
        return (f"prefork, concurrency {self.concurrency}, acks_late, autoretry "
                "(retry_backoff, jitter, max_retries=5), prefetch 1")


class Accord(Peer):
    """The product as a customer deploys it (:class:`support.accord_service.AccordService`):
    ``accord serve --no-workers`` takes the signed webhooks (``POST /hooks/stripe``) and
    ``accord worker`` processes run the product's own invoice posting, in batches
    (:mod:`accord.flows.invoice_batch`), configured by an ``accord.toml`` and ``ACCORD_*``
    variables only. The kill storm kills the workers, not the intake, as the other peers'
    intake (the feed, RabbitMQ) is not killed either."""

    name = "accord"
    workers = 1
    concurrency = 12

    def __init__(self, env: dict[str, str], state: Path, database_url: str,
                 world: World, seeded: Seeded) -> None:
        super().__init__(env, state)
        # NetSuite's 5 concurrent requests kept by the client's own gate in the one worker
        # process: the engine's cross-process gate would hold a SIGKILLed worker's slots
        self.service = AccordService(state, database_url, world, workers=self.workers,
                                     concurrency=self.concurrency, log_name="peer.log")
        self.service.upgrade()
        self.service.link(seeded)
        self.invoice_of: dict[str, str] = {}
        self.senders = ThreadPoolExecutor(8, thread_name_prefix="webhook")
        self.sending: list[Future[None]] = []

    def start(self) -> None:
        self.service.start()

    def roles(self) -> dict[str, set[int]]:
        return self.service.roles()

    def ready(self) -> bool:
        return self.service.ready()

    def pids(self) -> list[int]:
        return self.service.pids()

    def kill(self) -> None:
        self.service.kill_workers()
        self.kills += 1
        self.start()

    def deliver(self, delivery: dict[str, Any]) -> None:
        """As Stripe delivers webhooks: several at once (``senders``), so one slow answer
        does not hold the others back."""
        self.invoice_of[f"stripe:{delivery['id']}"] = delivery["data"]["object"]["id"]
        self.sending.append(self.senders.submit(self._post, delivery))

    def end_of_deliveries(self) -> None:
        for sent in self.sending:
            sent.result()

    def _post(self, delivery: dict[str, Any]) -> None:
        """One webhook, signed; a refused delivery is sent again later."""
        if not 200 <= self.service.post(delivery)[-1] < 300:
            raise RuntimeError(f"accord refused the delivery of {delivery['id']}")

    def done(self) -> dict[str, float]:
        """When each invoice was posted, from accord's own timeline (the step that reached
        ``invoice_posted``: NetSuite answered the upsert)."""
        return {self.invoice_of[correlation]: at.timestamp()
                for correlation, at in self.service.posted_by_correlation().items()
                if correlation in self.invoice_of}

    def idle(self) -> bool:
        return self.service.idle()

    def diagnostics(self) -> dict[str, Any]:
        return self.service.diagnostics()

    def stop(self) -> None:
        self.senders.shutdown(cancel_futures=True)
        self.service.stop()
        self.log.close()

    def describe(self) -> str:
        return (f"accord serve --no-workers + {self.workers} accord worker ({self.concurrency} "
                "flows at once, NetSuite client gate 5, pump 50 ms), the product's "
                "invoice-posting flow, " + ("PostgreSQL" if self.service.postgres
                                            else "SQLite"))


# -- infrastructure -------------------------------------------------------------------------
def postgres_available() -> bool:
    return server_answers(PG_URL)


def rabbitmq_problem() -> str | None:
    from kombu import Connection

    try:
        with Connection(BROKER, connect_timeout=3) as connection:
            connection.ensure_connection(max_retries=1)
    except Exception as exc:  # any failure means "skip this peer, say why"
        return f"{type(exc).__name__}: {exc}"
    return None


@contextmanager
def fresh_database(use_postgres: bool, directory: Path) -> Iterator[str]:
    with scratch_database(PG_URL if use_postgres else None, prefix="accord_peers",
                          directory=directory, drop_attempts=20) as database:
        yield database


# -- one run --------------------------------------------------------------------------------
@dataclass
class Options:
    events: int
    customers: int
    rate: float
    kills: int
    outage: float
    quiet_seconds: float
    deadline: float
    use_postgres: bool


@dataclass
class Run:
    peer_name: str
    trouble: str
    options: Options
    plan: Plan
    notes: dict[str, Any] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(11))

    def make_peer(self, env: dict[str, str], state: Path, database_url: str) -> Peer:
        if self.peer_name == "sync":
            return SyncScript(env, state)
        if self.peer_name == "celery":
            return CeleryGlue(env, state)
        return Accord(env, state, database_url, self.world, self.seeded)

    def execute(self) -> dict[str, Any]:
        with tempfile.TemporaryDirectory(prefix="accord-peers-") as tmp, \
                fresh_database(self.options.use_postgres and self.peer_name == "accord",
                               Path(tmp)) as database_url:
            root = Path(tmp)
            self.world = World.start(root / "sandboxes")
            try:
                seeding = time.time()
                self.seeded = self.world.seed(self.plan.customers, self.plan.invoices)
                self.notes["seeding_seconds"] = round(time.time() - seeding, 1)
                self.workload = Workload.of(self.plan, self.seeded.invoices, self.seeded.names)
                write_customer_map(root / "customers.json", self.seeded)
                self.control = httpx.Client(base_url=self.world.netsuite_url, timeout=30)
                self.peer = self.make_peer(self.world.env(), root, database_url)
                try:
                    return self._run(root)
                finally:
                    self.peer.stop()
                    self.control.close()
            finally:
                self.world.stop()

    def _run(self, root: Path) -> dict[str, Any]:
        peer, options = self.peer, self.options
        deliveries = self.workload.deliveries(3 if self.trouble == "duplicates" else 0)
        peer.start()
        until = time.time() + 120
        while not peer.ready() and time.time() < until:
            time.sleep(0.2)
        memory = ProcessSampler(peer.pids)
        memory.start()
        first_delivery: dict[str, float] = {}
        chaos = self.chaos()
        started = time.time()
        if chaos:
            chaos.start()
        for n, delivery in enumerate(deliveries):
            if self.trouble == "paced":
                delay = started + n / options.rate - time.time()
                if delay > 0:
                    time.sleep(delay)
            first_delivery.setdefault(delivery["data"]["object"]["id"], time.time())
            peer.deliver(delivery)
        peer.end_of_deliveries()
        delivered = time.time()
        self.wait(started)
        if chaos:
            chaos.join(timeout=300)
            self.wait(started)
        memory.finish()
        done = peer.done()
        finished = max(done.values(), default=started)
        latencies = [done[key] - at for key, at in first_delivery.items() if key in done]
        invoices, customers = netsuite_invoices_and_customers(self.world)
        judged = verdict(self.workload, invoices, customers)
        failed = sum(len(path.read_text().splitlines()) for path in
                     (root / "failed.log", root / "script" / "failed.log") if path.exists())
        return {"peer": peer.name, "run": self.trouble, "setup": peer.describe(),
                "events": len(self.workload.invoices), "deliveries": len(deliveries),
                "delivery_seconds": round(delivered - started, 2),
                "seconds": round(finished - started, 2),
                "events_per_second": round(len(done) / max(finished - started, 1e-6), 1),
                "latency": percentiles(latencies), "peak_rss_mb": round(memory.peak / 2**20, 1),
                "cpu_ms_per_event": round(memory.cpu_seconds() * 1000
                                          / max(len(self.workload.invoices), 1), 1),
                "cpu_ms_per_event_by_process": {
                    role: round(memory.cpu_seconds(pids) * 1000
                                / max(len(self.workload.invoices), 1), 1)
                    for role, pids in peer.roles().items()},
                "kills": peer.kills, "failures_logged": failed, **self.notes,
                "peer_state": peer.diagnostics(),
                "verdict": judged.summary()}

    def progress(self) -> int:
        return len(self.peer.done())

    def wait(self, started: float) -> None:
        """Until every event is posted, or the peer is idle and quiet (no new posting) for
        ``quiet_seconds``, or the deadline passes."""
        total = len(self.workload.invoices)
        last, last_change = -1, time.time()
        while time.time() < started + self.options.deadline:
            posted = self.progress()
            if posted != last:
                last, last_change = posted, time.time()
            if posted >= total and self.peer.idle():
                return
            if self.peer.idle() and time.time() - last_change > self.options.quiet_seconds:
                return
            time.sleep(0.25)

    def chaos(self) -> threading.Thread | None:
        trouble: Callable[[], None] | None = {"kill_storm": self.kill_storm,
                                              "outage": self.outage}.get(self.trouble)
        return threading.Thread(target=trouble, daemon=True) if trouble else None

    def kill_storm(self) -> None:
        total = len(self.workload.invoices)
        while self.peer.kills < self.options.kills and self.progress() < total * 0.95:
            time.sleep(self.rng.uniform(0.5, 2.5))
            self.peer.kill()

    def outage(self) -> None:
        total = len(self.workload.invoices)
        while self.progress() < total * 0.2:
            time.sleep(0.1)
        now = datetime.fromisoformat(self.control.get("/__sandbox/clock").json()["now"])
        seconds = self.options.outage
        self.control.put("/__sandbox/faults", json={
            "outage_until": (now + timedelta(seconds=seconds)).isoformat(),
            "timeout_until": (now + timedelta(seconds=seconds + 10)).isoformat(),
            "timeout_seconds": 3}).raise_for_status()
        self.notes["outage"] = {"at_posted": self.progress(), "seconds_503": seconds,
                                "then_timeouts_seconds": 10}
        time.sleep(seconds + 10.5)
        self.control.delete("/__sandbox/faults").raise_for_status()


# -- report ---------------------------------------------------------------------------------
def ratios(results: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    def get(peer: str, run: str) -> dict[str, Any] | None:
        return next((r for r in results if r["peer"] == peer and r["run"] == run), None)

    out: dict[str, dict[str, float | None]] = {}
    base_burst, base_paced = get("accord", "burst"), get("accord", "paced")
    for peer in sorted({r["peer"] for r in results} - {"accord"}):
        burst, paced = get(peer, "burst"), get(peer, "paced")

        def ratio(a: float | None, b: float | None) -> float | None:
            return round(a / b, 2) if a and b else None

        out[peer] = {
            "throughput_vs_accord": ratio(burst and burst["events_per_second"],
                                          base_burst and base_burst["events_per_second"]),
            "p50_latency_vs_accord": ratio(paced and paced["latency"].get("p50_ms"),
                                           base_paced and base_paced["latency"].get("p50_ms")),
            "p95_latency_vs_accord": ratio(paced and paced["latency"].get("p95_ms"),
                                           base_paced and base_paced["latency"].get("p95_ms")),
            "peak_memory_vs_accord": ratio(burst and burst["peak_rss_mb"],
                                           base_burst and base_burst["peak_rss_mb"]),
            "cpu_per_event_vs_accord": ratio(burst and burst["cpu_ms_per_event"],
                                             base_burst and base_burst["cpu_ms_per_event"])}
    return out


def report(results: list[dict[str, Any]], skipped: dict[str, str]) -> None:
    table = Table(title="peers side by side")
    for column in ("peer", "run", "events/s", "p50 ms", "p95 ms", "peak RSS MB",
                   "CPU ms/event", "kills",
                   "lost", "doubled", "wrong", "customers found/expected (doubled)"):
        table.add_column(column, justify="left" if column in ("peer", "run") else "right")
    for r in results:
        v = r["verdict"]
        table.add_row(r["peer"], r["run"], str(r["events_per_second"]),
                      str(r["latency"].get("p50_ms", "-")), str(r["latency"].get("p95_ms", "-")),
                      str(r["peak_rss_mb"]), str(r["cpu_ms_per_event"]), str(r["kills"]),
                      str(v["lost"]), str(v["doubled"]), str(v["wrong_amount"]),
                      f"{v['customers_found']}/{v['customers_expected']} "
                      f"({v['customers_doubled']})")
    console.print(table)
    for peer, why in skipped.items():
        console.print(f"[yellow]{peer} skipped:[/] {why}")
    for peer, values in ratios(results).items():
        console.print(f"{peer} vs accord: " + ", ".join(f"{k} {v}" for k, v in values.items()))


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=1000)
    parser.add_argument("--customers", type=int, default=100)
    parser.add_argument("--rate", type=float, default=20.0, help="events/s in the paced run")
    parser.add_argument("--kills", type=int, default=8)
    parser.add_argument("--outage", type=float, default=30.0, help="seconds of 503s")
    parser.add_argument("--quiet", type=float, default=20.0,
                        help="seconds without a new posting after which an idle peer is done")
    parser.add_argument("--deadline", type=float, default=900.0, help="seconds per run at most")
    parser.add_argument("--peers", default="sync,celery,accord")
    parser.add_argument("--runs", default=",".join(RUNS))
    parser.add_argument("--output", type=Path, default=RESULTS / "peers.json")
    parser.add_argument("--postgres", action="store_true",
                        help="accord on PostgreSQL (ACCORD_TEST_PG_URL) instead of SQLite")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop peers on the way out
    use_postgres = args.postgres and postgres_available()
    options = Options(args.events, args.customers, args.rate, args.kills, args.outage,
                      args.quiet, args.deadline, use_postgres)
    plan = generate(args.events, args.customers)
    peers = [p for p in args.peers.split(",") if p]
    skipped: dict[str, str] = {}
    if "celery" in peers and (problem := rabbitmq_problem()):
        skipped["celery"] = f"RabbitMQ at {BROKER.split('@')[-1]} is not reachable ({problem})"
        console.print(f"[yellow]celery skipped:[/] {skipped['celery']}")
        peers.remove("celery")
    results: list[dict[str, Any]] = []
    load_before = os.getloadavg()
    for run in [r for r in args.runs.split(",") if r]:
        for peer in peers:
            console.print(f"[bold]{peer}[/] {run} ...")
            result = Run(peer, run, options, plan).execute()
            v = result["verdict"]
            console.print(f"  {result['seconds']} s, {result['events_per_second']} events/s, "
                          f"lost {v['lost']}, doubled {v['doubled']}, wrong {v['wrong_amount']}")
            results.append(result)
    report(results, skipped)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({
        "benchmark": "peers", "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": [round(x, 2) for x in load_before],
                    "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "command": "bench/peers/run.py " + " ".join(sys.argv[1:]),
        "accord_database": "postgresql" if use_postgres else "sqlite",
        "options": vars(args) | {"output": str(args.output)},
        "skipped": skipped, "ratios": ratios(results), "results": results}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
