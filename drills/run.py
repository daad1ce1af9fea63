"""Run reliability drills and print their verdicts.

    .venv/bin/python drills/run.py [kill_storm|outage|throttle|hostile|bad_data|db_restart|
                                    worker_lost|partition|slow_network|rolling_restart|all]
                                   [--events N] [--customers N] [--workers N]
                                   [--set KNOB=JSON ...] [--label LABEL]

Each drill deploys accord as a company runs it (drills/harness.py): the three sandboxes,
``accord serve --no-workers`` and worker processes (``accord worker``) on a fresh database,
configured by ``accord init --sandboxes``. Customers come from deals won in Salesforce,
which the product's closed-won flow turns into Stripe and NetSuite customers; the workload
is invoices created in Stripe, whose ``invoice.finalized`` events the drill delivers as
Stripe does (signed, retried) to ``POST /hooks/stripe`` while the drill's trouble happens;
the product's invoice-posting flow posts them to NetSuite. The scale-out drills
(drills/scale.py) run PostgreSQL, the API and each worker as hosts of their own
(drills/hosts.py). It waits for the backlog to
drain and compares NetSuite's final state with the workload. Results go to
bench/results/<drill>.json; the exit code is non-zero if any verdict fails, and the report
names the records concerned (the throttle drill: the system and its figures).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))

from harness import PG_URL, SandboxLimits, Stage, postgres_available
from hosts import unavailable as hosts_unavailable
from limits import RefusalWatch, limit_checks
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table
from workload import verdict

HERE = Path(__file__).parent
RESULTS = HERE.parent / "bench" / "results"
console = Console()
TRANSIENT_KINDS = {"transient", "rate_limited", "retries_exhausted"}


def stage_options(knobs: dict[str, Any]) -> dict[str, Any]:
    """The throttle knobs as the stage's sandbox limits and accord.toml tables:
    ``salesforce_concurrency``, ``salesforce_daily``, ``salesforce_latency_ms`` (the org);
    ``limiters=false`` (accord's limiters off: a control run); ``stripe_accord_rate`` (Stripe
    paced at N/s instead of the engine's default, 80 % of the published 25/s)."""
    tables: dict[str, dict[str, Any]] = {}
    limits = None
    if knobs.get("salesforce_concurrency"):
        limits = SandboxLimits(salesforce_concurrency=int(knobs["salesforce_concurrency"]),
                               salesforce_daily=int(knobs.get("salesforce_daily", 15_000)),
                               salesforce_latency_ms=int(knobs.get("salesforce_latency_ms", 0)))
        tables["engine.limits.salesforce"] = {
            "max_concurrency": int(knobs["salesforce_concurrency"])}
    if knobs.get("stripe_accord_rate"):
        tables["engine.limits.stripe"] = {
            "requests_per_second": float(knobs["stripe_accord_rate"])}
    if knobs.get("hosts"):  # PostgreSQL, the API and each worker on a host (drills/scale.py)
        import scale

        found = scale.options(knobs)
        tables.update(found["tables"])
        return {"tables": tables, "limits": limits, "hosts": found["hosts"]}
    if knobs.get("limiters") is False:
        # an empty [engine.limits.<system>] table turns the system's limiter off
        tables = {f"engine.limits.{system}": {} for system in ("stripe", "salesforce",
                                                               "netsuite")}
    return {"tables": tables, "limits": limits}


# -- the drill loop -----------------------------------------------------------------------
class Drill:
    """One drill: deliver the workload through the API while ``trouble`` runs, then judge."""

    duplicate_every = 7  # every 7th event is delivered twice, as Stripe sometimes does

    def __init__(self, name: str, events: int, customers: int, workers: int,
                 use_postgres: bool, *, quiet: bool = False, **knobs: Any) -> None:
        self.name = name
        self.events = events
        self.customers = customers
        self.workers_wanted = workers
        self.use_postgres = use_postgres
        self.quiet = quiet
        self.knobs = knobs
        self.notes: dict[str, Any] = {}
        self.rng = random.Random(11)
        self.progress = 0
        self.delivering = True
        self.began_at = datetime.now(UTC)

    def say(self, line: str) -> None:
        if not self.quiet:
            console.print(f"[dim]{self.name}: {line}[/]")

    def run(self, trouble: Callable[[Drill], None] | None, deadline_seconds: float = 1500,
            stage: Stage | None = None) -> dict[str, Any]:
        """On a stage of its own, or on ``stage`` with a new workload (the short forms)."""
        options = stage_options(self.knobs)
        with ExitStack() as owned:
            if stage is None:
                stage = owned.enter_context(Stage(
                    workers=self.workers_wanted, use_postgres=self.use_postgres,
                    customers=self.customers, events=self.events, log=self.say, **options))
            else:
                stage.next_workload(self.events, options["limits"])
            return self._run(stage, trouble, deadline_seconds)

    def _run(self, stage: Stage, trouble: Callable[[Drill], None] | None,
             deadline_seconds: float) -> dict[str, Any]:
        self.stage = stage
        self.workload = stage.workload
        before = stage.netsuite_rejected_before
        watch = RefusalWatch(lambda: int(stage.governance()["rejected"]) - before)
        started = time.monotonic()
        self.began_at = datetime.now(UTC)
        chaos = threading.Thread(target=trouble, args=(self,), daemon=True) if trouble \
            else None
        cpu = None
        if stage.hosts is not None:
            import scale

            cpu = scale.CpuWatch(stage).start()
        threading.Thread(target=self.watch, daemon=True).start()
        if chaos:
            chaos.start()
        self.sender = stage.sender()
        rate = float(self.knobs.get("rate", 0)) or None  # events per second
        for n, event in enumerate(self.workload.events):
            if rate:
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
            self.sender.send(event)
            if n % self.duplicate_every == 0:
                self.sender.send(event)
        self.sender.close()
        self.delivering = False
        self.wait(started + deadline_seconds)
        if chaos:
            chaos.join(timeout=900)
            self.wait(started + deadline_seconds)
        elapsed = time.monotonic() - started
        watch.stop()
        result = self.judge(elapsed, watch.first_at)
        if cpu is not None:
            import scale

            scale.judge(self.name, self, result, cpu.stop(len(self.workload.events)))
        return result

    def watch(self) -> None:
        """Keep ``progress`` current while deliveries are still being sent (the troubles
        start at a share of the run)."""
        while self.delivering:
            self.progress = max(self.progress, self.stage.posted())
            time.sleep(1.0)

    def wait(self, deadline: float) -> None:
        total = len(self.workload.invoices)
        with Progress("[bold]" + self.name, BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=console, transient=True,
                      disable=self.quiet) as bar:
            task = bar.add_task("posting", total=total)

            def moved(found: int) -> None:
                self.progress = found
                bar.update(task, completed=found)

            self.stage.wait_for_drain(total, deadline, moved)

    def judge(self, elapsed: float, netsuite_first: datetime | None) -> dict[str, Any]:
        stage = self.stage
        stuck = stage.stuck_records()
        result = verdict(self.workload, stage.netsuite_invoices(), len(stuck))
        exceptions = stage.open_exceptions()
        summary = result.summary()
        summary["examples"]["stuck"] = stuck[:5]
        events = len(self.workload.events)
        return {"drill": self.name, "events": events,
                "invoices": len(self.workload.invoices), "customers": self.customers,
                "duplicate_deliveries": (events + self.duplicate_every - 1)
                // self.duplicate_every,
                "workers": stage.workers_wanted, "worker_kills": stage.workers.kills,
                "api_kills": stage.api.kills,
                "database": "postgresql" if self.use_postgres else "sqlite",
                "intake": "Stripe's invoice.finalized events, signed, to POST /hooks/stripe "
                          "(accord serve --no-workers); flows on accord worker processes",
                "sender": self.sender.stats.summary(),
                "seconds": round(elapsed, 1),
                "events_per_second": round(events / elapsed, 1),
                "open_exceptions": exceptions[:50], "open_exception_count": len(exceptions),
                "netsuite_governance": stage.governance(),
                "limits": stage.limits(self.began_at, netsuite_first),
                "flows_by_status": stage.workflow_statuses(),
                "failed_flows": stage.failed_flows(),
                "inbox_by_status": stage.inbox_statuses(),
                **self.notes, "verdict": summary}


# -- the troubles -------------------------------------------------------------------------
def kill_storm(drill: Drill) -> None:
    """SIGKILL a random worker ``kills`` times at random moments (``gap`` seconds apart), and
    the API ``api_kills`` times while webhooks arrive; every killed process is started again
    under the same name."""
    kills = int(drill.knobs.get("kills", 12))
    gap = drill.knobs.get("gap", (5.0, 15.0))
    total = len(drill.workload.invoices)
    moments: list[str] = []
    began = time.monotonic()
    api = threading.Thread(target=_kill_api, args=(drill, moments, began), daemon=True)
    api.start()
    while drill.stage.workers.kills < kills and drill.progress < total:
        time.sleep(drill.rng.uniform(*gap))
        executor = drill.rng.choice(sorted(drill.stage.workers.procs))
        drill.stage.workers.kill_one(executor)
        moments.append(f"{time.monotonic() - began:.1f}s {executor}")
    api.join()
    drill.notes["kills"] = moments


def _kill_api(drill: Drill, moments: list[str], began: float) -> None:
    api_kills = int(drill.knobs.get("api_kills", 3))
    gap = drill.knobs.get("api_gap", (5.0, 15.0))
    rng = random.Random(13)
    while drill.delivering and drill.stage.api.kills < api_kills:
        time.sleep(rng.uniform(*gap))
        if drill.delivering:
            drill.stage.api.kill()
            moments.append(f"{time.monotonic() - began:.1f}s api")


def outage(drill: Drill) -> None:
    """NetSuite answers 503 for ``seconds``, then hangs and 504s for ``timeout_seconds``."""
    seconds = float(drill.knobs.get("seconds", 120.0))
    hang = float(drill.knobs.get("timeout_seconds", 30.0))
    total = len(drill.workload.invoices)
    while drill.progress < total * 0.2:
        time.sleep(0.5)
    control = drill.stage.control
    now = datetime.fromisoformat(control("netsuite", "GET", "/clock")["now"])
    control("netsuite", "PUT", "/faults", {
        "outage_until": (now + timedelta(seconds=seconds)).isoformat(),
        "timeout_until": (now + timedelta(seconds=seconds + hang)).isoformat(),
        "timeout_seconds": 3})
    drill.notes["outage"] = {"at_posted": drill.progress, "503_seconds": seconds,
                             "then_timeouts_seconds": hang}
    time.sleep(seconds + hang + 2)
    control("netsuite", "DELETE", "/faults")


def throttle(drill: Drill) -> None:
    """Nothing to break: the sandboxes enforce their published limits the whole run."""
    knobs = drill.knobs
    gated = "accord: " if knobs.get("limiters", True) else \
        "accord's limiters OFF (control run); would be: "
    rate = knobs.get("stripe_accord_rate")
    paced = (f"{rate:g}/s as configured" if rate
             else "the engine's default, 80 % of the connector's published 25/s: 20/s")
    concurrency = knobs.get("salesforce_concurrency")
    drill.notes["throttle"] = {
        "rate_events_per_second": knobs.get("rate"),
        "stripe": f"25 requests/s (test mode); {gated}{paced}, DbRateLimiter across processes",
        "salesforce": f"{concurrency} concurrent, {knobs.get('salesforce_daily', 15_000):,} "
                      f"requests/24 h (a Developer Edition org), latency "
                      f"{knobs.get('salesforce_latency_ms', 0)} ms; {gated}DbSlotGate "
                      f"max_concurrency {concurrency} (the change polls)",
        "netsuite": f"5 concurrent (a standard account); {gated}DbSlotGate max_concurrency 5"}


def judge_limits(result: dict[str, Any]) -> None:
    """The throttle drill's own checks: for every system, no refusal after the first one
    (accord never exceeds a limit after the first 429/403, and still finishes); Salesforce's
    daily requests within the allocation. A failed check adds a line naming the system and
    its figures."""
    checks, failures = limit_checks(result["limits"])
    verdict_ = result["verdict"]
    verdict_["checks"] = {**verdict_.get("checks", {}), **checks}
    verdict_["failures"] = failures
    verdict_["ok"] = verdict_["ok"] and all(checks.values())


def db_restart(drill: Drill) -> None:
    """Restart the PostgreSQL cluster at 30 % of the run (``mode="restart"``), or, with
    ``mode="terminate"``, cut every connection to the drill's database instead - the same
    loss of every connection for accord, without stopping the server others share."""
    total = len(drill.workload.invoices)
    while drill.progress < total * 0.3:
        time.sleep(0.5)
    mode = str(drill.knobs.get("mode", "restart"))
    began = time.monotonic()
    if mode == "terminate":
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        url = make_url(drill.stage.database_url)
        admin = create_engine(make_url(PG_URL).set(drivername="postgresql+psycopg"),
                              isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            cut = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": url.database}).scalar()
        admin.dispose()
        drill.notes["db_restart"] = {"mode": mode, "at_done": drill.progress,
                                     "connections_cut": cut}
        return
    clusters = sorted(Path("/etc/postgresql").glob("*/main"))
    if not clusters or not shutil.which("pg_ctlcluster"):
        drill.notes["db_restart"] = "skipped: no local cluster to restart"
        return
    version = clusters[-1].parent.name
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"],
                   check=True, capture_output=True)
    drill.notes["db_restart"] = {"mode": mode, "at_done": drill.progress,
                                 "restart_seconds": round(time.monotonic() - began, 1)}


def standard(trouble: Callable[[Drill], None] | None) -> Callable[..., dict[str, Any]]:
    def run(events: int, customers: int, workers: int, use_postgres: bool, name: str,
            stage: Stage | None = None, **knobs: Any) -> dict[str, Any]:
        result = Drill(name, events, customers, workers, use_postgres, **knobs).run(
            trouble, stage=stage)
        if name == "outage":
            transient = [e for e in result["open_exceptions"] if e["kind"] in TRANSIENT_KINDS]
            result["transient_exceptions_left"] = len(transient)
            result["verdict"]["ok"] = result["verdict"]["ok"] and not transient
        if name == "throttle":
            judge_limits(result)
        return result
    return run


def _scale(events: int, customers: int, workers: int, use_postgres: bool, name: str,
           stage: Stage | None = None, **knobs: Any) -> dict[str, Any]:
    """A scale-out drill (drills/scale.py) on hosts of its own: three workers unless
    ``--workers`` says otherwise."""
    import scale

    workers = int(knobs.pop("workers", workers or 3))
    return Drill(name, events, customers, workers, True, hosts=True, **knobs).run(
        scale.TROUBLES[name], deadline_seconds=600, stage=stage)


def _hostile(events: int, customers: int, workers: int, use_postgres: bool, name: str,
             **knobs: Any) -> dict[str, Any]:  # knobs may carry stage=
    import hostile

    return hostile.run(events, customers, workers, use_postgres, **knobs)


def _bad_data(events: int, customers: int, workers: int, use_postgres: bool, name: str,
              **knobs: Any) -> dict[str, Any]:
    import bad_data

    return bad_data.run(events, customers, workers, use_postgres, **knobs)


DRILLS: dict[str, tuple[Callable[..., dict[str, Any]], bool]] = {
    "kill_storm": (standard(kill_storm), False),
    "outage": (standard(outage), False),
    "throttle": (standard(throttle), False),
    "hostile": (_hostile, False),
    "bad_data": (_bad_data, False),
    "db_restart": (standard(db_restart), True),
    "worker_lost": (_scale, False),
    "partition": (_scale, False),
    "slow_network": (_scale, False),
    "rolling_restart": (_scale, False),
}
KNOBS: dict[str, dict[str, Any]] = {
    "kill_storm": {"rate": 40.0, "kills": 12},
    "outage": {"seconds": 120.0, "timeout_seconds": 30.0},
    # one Stripe read per event at 20 events/s: accord paces Stripe at 20/s of its 25/s;
    # Salesforce (the change polls) answers after 250 ms under a Developer Edition org's
    # 5 concurrent requests (drills/README.md, throttle)
    "throttle": {"rate": 20.0, "salesforce_concurrency": 5, "salesforce_daily": 15_000,
                 "salesforce_latency_ms": 250},
    "db_restart": {"rate": 15.0},  # webhooks still arriving when the server restarts
    # the scale-out drills (drills/scale.py): each on hosts of its own, 3 workers
    "worker_lost": {"rate": 10.0},
    "partition": {"rate": 10.0},
    "slow_network": {"rate": 10.0, "impairable": True},
    "rolling_restart": {"rate": 2.0},  # deliveries go on while every worker is replaced
}
DEFAULT_EVENTS = {"kill_storm": 5000, "outage": 2000, "throttle": 2000, "hostile": 2000,
                  "bad_data": 1000, "db_restart": 2000, "worker_lost": 2000,
                  "partition": 2000, "slow_network": 200, "rolling_restart": 600}
"""The issue asks 5,000 events of the kill storm; the rest are sized so all six fit in 30
minutes on the shared 2-core machine."""


def shared_stage(customers: int, workers: int, use_postgres: bool = True) -> Stage:
    """One stage for several drills in turn (the short forms in ``make test``): configured
    as the throttle drill's (Salesforce gated at 5 concurrent), each drill on a workload of
    its own (``stage=`` of :func:`run_drill`)."""
    return Stage(workers=workers, use_postgres=use_postgres, customers=customers, events=0,
                 tables=stage_options(KNOBS["throttle"])["tables"])


def run_drill(name: str, events: int, customers: int, workers: int, use_postgres: bool,
              **knobs: Any) -> dict[str, Any]:
    return DRILLS[name][0](events, customers, workers, use_postgres, name=name, **knobs)


def limit_rows(table: Table, limits: dict[str, dict[str, Any]]) -> None:
    for system, found in limits.items():
        first = found["first_refusal_s"]
        table.add_row(f"{system} limit", str(found["limit"]))
        table.add_row(f"{system} refused / after the first / first at",
                      f"{found['refused']} / {found['refused_after_first']} / "
                      + ("-" if first is None else f"{first} s"))
        table.add_row(f"{system} peak", str(found["peak"]))
        if "daily_used" in found:
            table.add_row(f"{system} daily requests used / allocation",
                          f"{found['daily_used']:,} / {found['daily_allocation']:,}")


def report(result: dict[str, Any]) -> None:
    verdict_ = result["verdict"]
    table = Table(title=f"drill {result['drill']}", show_header=False)
    for key in ("events", "duplicate_deliveries", "workers", "worker_kills", "api_kills",
                "database", "seconds", "events_per_second"):
        if key in result:
            table.add_row(key, str(result[key]))
    if "sender" in result:
        sender = result["sender"]
        table.add_row("webhook attempts / retried / connection errors",
                      f"{sender['attempts']} / {sender['retried']} / "
                      f"{sender['connection_errors']}")
    for key in ("expected", "found", "lost", "doubled", "wrong_amount", "stuck"):
        table.add_row(key, str(verdict_[key]))
    for key, value in verdict_.get("checks", {}).items():
        table.add_row(key, str(value))
    if "limits" in result:
        limit_rows(table, result["limits"])
    elif governance := result.get("netsuite_governance"):
        table.add_row("netsuite peak concurrency / limit",
                      f"{governance.get('peak')} / {governance.get('limit')}")
        table.add_row("netsuite 429s", str(governance.get("rejected")))
    table.add_row("open exceptions", str(result.get("open_exception_count", 0)))
    table.add_row("verdict", "[green]PASS[/]" if verdict_["ok"] else "[red]FAIL[/]")
    console.print(table)
    for line in verdict_.get("failures", []):
        console.print(f"[red bold]FAILED:[/] {line}")
    examples = verdict_.get("examples") or {}
    if not verdict_["ok"] and any(examples.values()):
        console.print("[red bold]records concerned:[/]", json.dumps(examples, indent=2))


def parse_knob(item: str) -> tuple[str, Any]:
    """``KNOB=JSON`` (``limiters=false``, ``salesforce_latency_ms=100``); a value that is
    not JSON is taken as a string."""
    key, _, value = item.partition("=")
    try:
        return key, json.loads(value)
    except json.JSONDecodeError:
        return key, value


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("drill", nargs="?", default="all", choices=[*DRILLS, "all"])
    parser.add_argument("--events", type=int, default=None,
                        help="business events (default: kill_storm 5,000, bad_data 1,000, "
                        "others 2,000)")
    parser.add_argument("--customers", type=int, default=100,
                        help="customers set up through won deals (default 100)")
    parser.add_argument("--workers", type=int, default=None,
                        help="worker processes (default 2; the scale-out drills 3)")
    parser.add_argument("--skip", action="append", default=[], choices=list(DRILLS),
                        help="leave a drill out of 'all' (repeatable)")
    parser.add_argument("--set", action="append", default=[], metavar="KNOB=JSON",
                        help="override a drill knob, e.g. limiters=false (repeatable)")
    parser.add_argument("--label", default="",
                        help="write the results to <drill>_<label>.json instead")
    args = parser.parse_args()
    overrides = dict(parse_knob(item) for item in args.set)
    use_postgres = postgres_available()
    if not use_postgres:
        console.print("[yellow]PostgreSQL not reachable: one worker on SQLite[/]")
    names = [n for n in DRILLS if n not in args.skip] if args.drill == "all" else [args.drill]
    RESULTS.mkdir(parents=True, exist_ok=True)
    failed: list[str] = []
    began = time.monotonic()
    for name in names:
        needs_postgres = DRILLS[name][1]
        if needs_postgres and not use_postgres:
            console.print(f"[yellow]{name}: skipped, needs PostgreSQL[/]")
            continue
        scaled = DRILLS[name][0] is _scale
        if scaled and (reason := hosts_unavailable()):
            console.print(f"[yellow]{name}: skipped, hosts cannot be made here: {reason}[/]")
            continue
        workers = args.workers or (3 if scaled else 2) if use_postgres or scaled else 1
        events = args.events or DEFAULT_EVENTS[name]
        result = run_drill(name, events, args.customers, workers, use_postgres,
                           **{**KNOBS.get(name, {}), **overrides})
        result["finished_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["knobs_set"] = overrides
        stem = f"{name}_{args.label}" if args.label else name
        (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
        report(result)
        if not result["verdict"]["ok"]:
            failed.append(name)
    console.print(f"{len(names)} drill(s) in {time.monotonic() - began:.0f} s; "
                  + (f"[red]FAILED: {', '.join(failed)}[/]" if failed else "[green]all pass[/]"))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
