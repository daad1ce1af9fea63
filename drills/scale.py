"""Scale-out drills: workers on hosts of their own (drills/hosts.py) lose their machine, lose
the database, sit behind a slow and lossy link, or are replaced one by one; their leases
expire and survivors take their flows over (src/accord/engine/leases.py).

Every drill runs PostgreSQL, the API and three workers (``--workers``) as separate hosts in
network namespaces, with short leases so a takeover happens within the drill
(``[workers] lease_seconds = 6, heartbeat_seconds = 2``; the default is 30 and 10), and ends
with the usual verdict read back from NetSuite - lost, doubled, wrong amount, stuck - plus
its own checks and figures:

* ``worker_lost``: at 30 % of the run the worker running the most flows is SIGKILLed and
  never started again. Figures: seconds from the lease's expiry to the takeover, flows
  adopted, seconds until the adopted flows finished. Checks: its lease taken over once,
  nothing left pending under its id.
* ``partition``: at 30 % the busiest worker's link to PostgreSQL is cut (its port on the
  database bridge down) and mended as soon as a survivor has taken its lease over, while the
  adopter is still finishing its flows: the worker comes back a zombie. Checks: the takeover
  happened while it was cut, it noticed that its lease was taken (its log says so) and - the
  verdict - no invoice doubled in NetSuite.
* ``slow_network``: every worker's link to PostgreSQL delays each packet 200 ms and loses 5 %
  (worker -> database, what ``netem delay 200ms loss 5%`` on the worker's interface does),
  the whole run. Figures: throughput, takeovers a slow heartbeat caused.
* ``rolling_restart``: while webhooks arrive, each worker in turn is replaced: a new one
  with a new generated id starts on its host, then the old one gets SIGTERM (it drains for
  10 s and releases its lease; a survivor adopts what it left). Checks: every old id ended
  released or adopted with nothing pending under it.

Each also prints the CPU used per event by the workers, the API and PostgreSQL (sampled
from /proc every second) and the calls the vendors refused.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from harness import HostsPlan, Stage
from hosts import cpu_seconds
from on_hosts import HostStack
from sqlalchemy import select, text

from accord.engine.tables import worker_lease, worker_takeover

if TYPE_CHECKING:
    from run import Drill

LEASE = {"lease_seconds": 6, "heartbeat_seconds": 2}
SCALE_DRILLS = ("worker_lost", "partition", "slow_network", "rolling_restart")


def options(knobs: dict[str, Any]) -> dict[str, Any]:
    """The stage of a scale drill: on hosts, leases as ``knobs`` say (``lease_seconds``,
    ``heartbeat_seconds``); every worker's database link impairable for the slow network."""
    lease = {k: knobs.get(k, v) for k, v in LEASE.items()}
    return {"hosts": HostsPlan(impair_workers=bool(knobs.get("impairable"))),
            "tables": {"workers": lease}}


# -- reading the engine's state ----------------------------------------------------------------
def pending_by_executor(stage: Stage) -> dict[str, int]:
    with stage.database.engine.connect() as connection:
        return {str(e): int(n) for e, n in connection.execute(text(
            "SELECT executor_id, COUNT(*) FROM dbos.workflow_status WHERE status IN "
            "('PENDING') GROUP BY executor_id"))}


def busiest(stage: Stage) -> str:
    """The live worker running the most flows now (a kill there hurts most)."""
    running = pending_by_executor(stage)
    return max(sorted(stage.workers.procs), key=lambda name: running.get(name, 0))


def lease_row(stage: Stage, executor: str) -> dict[str, Any] | None:
    with stage.database.engine.connect() as connection:
        row = connection.execute(select(worker_lease).where(
            worker_lease.c.executor_id == executor)).mappings().first()
    return dict(row) if row else None


def takeovers_of(stage: Stage, executor: str) -> list[dict[str, Any]]:
    with stage.database.engine.connect() as connection:
        return [dict(r) for r in connection.execute(select(worker_takeover).where(
            worker_takeover.c.dead_executor == executor).order_by(
            worker_takeover.c.id)).mappings()]


def all_takeovers(stage: Stage) -> list[dict[str, Any]]:
    with stage.database.engine.connect() as connection:
        return [{"dead": r.dead_executor, "adopter": r.adopter, "flows": r.flows}
                for r in connection.execute(select(worker_takeover).order_by(
                    worker_takeover.c.id))]


def unfinished(stage: Stage, workflow_ids: list[str]) -> int:
    if not workflow_ids:
        return 0
    with stage.database.engine.connect() as connection:
        return int(connection.execute(text(
            "SELECT COUNT(*) FROM dbos.workflow_status WHERE workflow_uuid = ANY(:ids) "
            "AND status IN ('PENDING', 'ENQUEUED')"), {"ids": workflow_ids}).scalar() or 0)


def wait_adopted(stage: Stage, executor: str, timeout: float) -> dict[str, Any] | None:
    """Poll ``executor``'s lease until a survivor claims it; the row as claimed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        row = lease_row(stage, executor)
        if row and row["adopted_by"] is not None:
            return row
        time.sleep(0.2)
    return None


def wait_takeover_row(stage: Stage, executor: str, timeout: float = 60.0
                      ) -> list[dict[str, Any]]:
    """The takeover rows of ``executor``: the adopter writes one after DBOS recovery
    re-enqueued the flows, a moment after it claimed the lease."""
    deadline = time.monotonic() + timeout
    while not (taken := takeovers_of(stage, executor)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return taken


def wait_progress(drill: Drill, share: float) -> None:
    total = len(drill.workload.invoices)
    while drill.progress < total * share and drill.delivering:
        time.sleep(0.2)


def takeover_figures(stage: Stage, executor: str, row: dict[str, Any] | None,
                     lost_at: float) -> dict[str, Any]:
    """When the lease expired, when it was claimed, what was adopted and when that
    finished."""
    if row is None:
        return {"adopted": False}
    taken = wait_takeover_row(stage, executor)
    ids = [str(i) for t in taken for i in (t["workflow_ids"] or [])]
    deadline = time.monotonic() + 300
    while unfinished(stage, ids) and time.monotonic() < deadline:
        time.sleep(0.5)
    return {"adopted": True, "adopter": row["adopted_by"], "takeovers": len(taken),
            "lease_expired_s_after_loss": round(row["expires_at"] - lost_at, 1),
            "takeover_s_after_expiry": round(row["adopted_at"] - row["expires_at"], 2),
            "takeover_s_after_loss": round(row["adopted_at"] - lost_at, 1),
            "flows_adopted": len(ids),
            "adopted_finished_s_after_takeover": round(time.time() - row["adopted_at"], 1)}


# -- CPU -------------------------------------------------------------------------------------
@dataclass
class CpuWatch:
    """CPU seconds of every worker, the API and PostgreSQL over the drill, sampled each
    second (a process killed mid-run counts up to its last sample)."""

    stage: Stage
    first: dict[int, float] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    role: dict[int, str] = field(default_factory=dict)
    pg_first: float = 0.0
    pg_last: float = 0.0
    running: bool = True
    initial: bool = True

    netsuite_admitted: int = 0

    def start(self) -> CpuWatch:
        self.sample()
        self.initial = False
        self.netsuite_admitted = int(self.stage.governance()["admitted"])
        hosts = self.stage.hosts
        self.pg_first = self.pg_last = hosts.postgres_cpu() if hosts else 0.0
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def sample(self) -> None:
        procs = {entry.process.pid: "worker" for entry in self.stage.workers.procs.values()}
        procs[self.stage.api.entry.process.pid] = "api"
        for pid, role in procs.items():
            used = cpu_seconds(pid)
            if used <= 0:
                continue
            self.first.setdefault(pid, used if self.initial else 0.0)
            self.last[pid] = used
            self.role[pid] = role
        if self.stage.hosts:
            self.pg_last = self.stage.hosts.postgres_cpu()

    def _run(self) -> None:
        while self.running:
            time.sleep(1.0)
            self.sample()

    def stop(self, events: int) -> dict[str, Any]:
        self.running = False
        self.sample()
        used = {"worker": 0.0, "api": 0.0}
        for pid, last in self.last.items():
            used[self.role[pid]] += last - self.first.get(pid, 0.0)
        used["postgres"] = self.pg_last - self.pg_first
        netsuite_calls = int(self.stage.governance()["admitted"]) - self.netsuite_admitted
        return {f"{k}_cpu_s": round(v, 1) for k, v in used.items()} | {
            f"{k}_cpu_ms_per_event": round(1000 * v / max(1, events), 1)
            for k, v in used.items()} | {
            "netsuite_calls_per_event": round(netsuite_calls / max(1, events), 2)}


# -- the troubles ----------------------------------------------------------------------------
def worker_lost(drill: Drill) -> None:
    wait_progress(drill, 0.3)
    stage = drill.stage
    victim = busiest(stage)
    running = pending_by_executor(stage).get(victim, 0)
    lost_at = time.time()
    stage.workers.kill_for_good(victim)
    lease = float(drill.knobs.get("lease_seconds", LEASE["lease_seconds"]))
    row = wait_adopted(stage, victim, timeout=lease * 3 + 60)
    drill.notes["lost"] = {"worker": victim, "at_posted": drill.progress,
                           "running_when_killed": running,
                           **takeover_figures(stage, victim, row, lost_at)}


def partition(drill: Drill) -> None:
    wait_progress(drill, 0.3)
    stage = drill.stage
    assert stage.hosts is not None
    assert isinstance(stage.env.stack, HostStack)
    victim = busiest(stage)
    host = stage.env.stack.host_of(victim) or ""
    running = pending_by_executor(stage).get(victim, 0)
    cut_at = time.time()
    stage.hosts.cut(host)
    lease = float(drill.knobs.get("lease_seconds", LEASE["lease_seconds"]))
    row = wait_adopted(stage, victim, timeout=lease * 3 + 60)
    taken = wait_takeover_row(stage, victim) if row else []
    ids = [str(i) for t in taken for i in (t["workflow_ids"] or [])]
    still_running = unfinished(stage, ids)
    stage.hosts.mend(host)
    mended_at = time.time()
    log = stage.workers.procs[victim].log
    noticed_at = None
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if "was taken over while it still ran" in log.read_text(errors="replace"):
            noticed_at = time.time()
            break
        time.sleep(0.5)
    drill.notes["partition"] = {
        "worker": victim, "host": host, "at_posted": drill.progress,
        "running_when_cut": running, "cut_s": round(mended_at - cut_at, 1),
        "adopted_flows_unfinished_when_mended": still_running,
        "zombie_noticed_s_after_mend": None if noticed_at is None
        else round(noticed_at - mended_at, 1),
        **takeover_figures(stage, victim, row, cut_at)}


def slow_network(drill: Drill) -> None:
    stage = drill.stage
    assert stage.hosts is not None
    delay = float(drill.knobs.get("delay_ms", 200))
    loss = float(drill.knobs.get("loss", 0.05))
    for host in stage.hosts.hosts:
        if stage.hosts.hosts[host].wire is not None:
            stage.hosts.shape(host, delay_ms=delay, loss=loss)
    drill.notes["slow_network"] = {"delay_ms": delay, "loss": loss,
                                   "direction": "worker -> PostgreSQL, every worker"}


def rolling_restart(drill: Drill) -> None:
    wait_progress(drill, 0.1)
    stage = drill.stage
    replaced = []
    for old in sorted(stage.workers.procs):
        new = f"worker-{secrets.token_hex(3)}"  # a container's generated name
        began = time.monotonic()
        stage.workers.start_new(new, like=old)
        started = time.monotonic() - began
        running = pending_by_executor(stage).get(old, 0)
        stopped = stage.workers.stop(old)
        replaced.append({"old": old, "new": new, "new_started_s": round(started, 1),
                         "old_running_at_stop": running, "old_stopped_s": round(stopped, 1),
                         "at_posted": drill.progress})
        time.sleep(2.0)
    drill.notes["rolling_restart"] = replaced


# -- the checks after the verdict -------------------------------------------------------------
def judge(name: str, drill: Drill, result: dict[str, Any], cpu: dict[str, Any]) -> None:
    stage = drill.stage
    checks: dict[str, bool] = {}
    pending = pending_by_executor(stage)
    takeovers = all_takeovers(stage)
    if name == "worker_lost":
        found = result["lost"]
        found["takeovers"] = len(takeovers_of(stage, found["worker"]))
        checks["lease taken over once"] = found["takeovers"] == 1
        checks["nothing pending under the lost id"] = pending.get(found["worker"], 0) == 0
    elif name == "partition":
        found = result["partition"]
        checks["taken over while cut"] = bool(found.get("adopted"))
        # once: back from the partition it starts a new lease, which nobody takes over
        found["takeovers"] = len(takeovers_of(stage, found["worker"]))
        checks["its lease taken over once"] = found["takeovers"] == 1
        checks["zombie noticed its lease was taken"] = \
            found["zombie_noticed_s_after_mend"] is not None
    elif name == "rolling_restart":
        olds = [r["old"] for r in result["rolling_restart"]]
        rows = {o: lease_row(stage, o) for o in olds}
        checks["every old worker released or adopted"] = all(
            row is not None and (row["adopted_by"] is not None
                                 or row["expires_at"] < time.time())
            for row in rows.values())
        checks["nothing pending under an old id"] = not any(pending.get(o) for o in olds)
    limits = result.get("limits", {})
    result["vendor_refusals"] = {system: found.get("refused") for system, found in
                                 limits.items()}
    if "admitted" in limits.get("stripe", {}):
        cpu["stripe_calls_per_event"] = round(
            int(limits["stripe"]["admitted"]) / max(1, len(drill.workload.events)), 2)
    result["takeovers"] = takeovers
    result["hosts_prefix"] = stage.hosts.prefix if stage.hosts else None
    with stage.database.engine.connect() as connection:
        result["database_bytes"] = int(connection.execute(text(
            "SELECT pg_database_size(current_database())")).scalar() or 0)
        result["inbox_rows"] = int(connection.execute(text(
            "SELECT COUNT(*) FROM inbox")).scalar() or 0)
    result["cpu"] = cpu
    verdict = result["verdict"]
    verdict["checks"] = {**verdict.get("checks", {}), **checks}
    failures = [f"{name}: {check}" for check, ok in checks.items() if not ok]
    verdict["failures"] = [*verdict.get("failures", []), *failures]
    verdict["ok"] = verdict["ok"] and all(checks.values())


TROUBLES = {"worker_lost": worker_lost, "partition": partition,
            "slow_network": slow_network, "rolling_restart": rolling_restart}

__all__ = ["SCALE_DRILLS", "TROUBLES", "CpuWatch", "judge", "options"]
