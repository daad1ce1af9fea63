"""Hosts on one machine: PostgreSQL, the API and each worker in a Linux network namespace of
its own, joined by veth links (iproute2), so a drill can cut, delay and make lossy the link
between one worker and the database while webhooks arrive.

The network of one run (every name starts with a prefix unique to the run, ``ac`` and six
hex digits; every address is in a private ``10.A.B.0/23`` no route of the machine uses)::

            root namespace: the drill, the sandboxes        10.A.B.1 (lan)   10.A.B+1.1 (db)
                 |                     |
      +----------+---- <p>-sw: bridges "lan" and "db" ----+-----------------+
      |                     |                             |                 |
   <p>-pg               <p>-api                        <p>-w1   ...      <p>-wN
   db 10.A.B+1.2        lan .3, db .3                  lan .11, db .11  (worker k: .10+k)
   PostgreSQL 15        accord serve --no-workers      accord worker

* **PostgreSQL** is a private server (``initdb`` and ``postgres`` from
  ``/usr/lib/postgresql/15/bin``, run as the ``postgres`` user since initdb refuses root, its
  data in a temporary folder) listening on its namespace's address only: the machine's shared
  server is never touched.
* **Every host reaches the vendors' sandboxes at the addresses accord.toml names**
  (``127.0.0.1:<port>``; the Salesforce sandbox's certificate is for that name): a ``socat``
  relay in each host's namespace carries ``127.0.0.1:<port>`` to the root namespace's lan
  address, where another relay hands it to the sandbox. The API's port is relayed the same
  way from the root namespace's ``127.0.0.1``, so the drill driver and the Stripe sandbox's
  webhooks reach it as they would on one machine.
* **Troubles** touch one worker's database link only: :meth:`Hosts.cut` sets its port on the
  db bridge down (``ip link set ... down``) and :meth:`Hosts.mend` up again; a worker whose
  link was made *impairable* gets a user-space wire instead of a veth (drills/wire.py: this
  machine's kernel has no ``sch_netem``, nor any tc classifier or action), and
  :meth:`Hosts.shape` sets its delay and loss, as ``tc qdisc add dev <worker's link> root
  netem delay 200ms loss 5%`` would.

Only loopback and the namespaces' own addresses are ever targets. Everything is removed on
the way out - processes (by the ids this module started), namespaces, links, temporary
folders - from ``__exit__``, and from ``atexit`` and SIGTERM should the driver die first.

Needs root, iproute2, socat and PostgreSQL 15's server binaries; :func:`unavailable` says
what is missing.
"""

from __future__ import annotations

import atexit
import contextlib
import ipaddress
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PG_BIN = Path("/usr/lib/postgresql/15/bin")
HERE = Path(__file__).parent


class HostsFailed(RuntimeError):
    """A namespace, link or host process could not be set up."""


def ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise HostsFailed(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done


def unavailable() -> str | None:
    """Why hosts cannot be made here, or None when they can."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    for tool in ("ip", "socat"):
        if shutil.which(tool) is None:
            return f"{tool} is not installed"
    for binary in ("initdb", "postgres"):
        if not (PG_BIN / binary).exists():
            return f"{PG_BIN / binary} is missing (PostgreSQL 15 server)"
    probe = f"acprobe{secrets.token_hex(3)}"
    made = ip("netns", "add", probe, check=False)
    if made.returncode != 0:
        return f"ip netns add failed: {made.stderr.strip()}"
    ip("netns", "del", probe, check=False)
    if not Path("/dev/net/tun").exists():
        return "/dev/net/tun is missing (the impairable links are TAP devices)"
    return None


def _free_subnet() -> tuple[int, int]:
    """``(A, B)`` such that 10.A.B.0/23 overlaps no address or route of the machine."""
    used = [ipaddress.ip_network(m, strict=False) for m in re.findall(
        r"\b(\d+\.\d+\.\d+\.\d+/\d+)", ip("-4", "addr").stdout + ip("-4", "route").stdout)]
    for _ in range(200):
        a, b = 200 + secrets.randbelow(50), 2 * secrets.randbelow(127)
        candidate = ipaddress.ip_network(f"10.{a}.{b}.0/23")
        if not any(candidate.overlaps(n) for n in used):
            return a, b
    raise HostsFailed("no free 10.x.y.0/23 for the drill's network")


def cpu_seconds(pid: int, children: bool = False) -> float:
    """User + system CPU of a process (and of its waited-for children when asked)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = int(fields[11]) + int(fields[12])  # utime, stime
    if children:
        ticks += int(fields[13]) + int(fields[14])  # cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@dataclass
class Host:
    name: str                 # "pg", "api", "w1", ...
    namespace: str
    lan: str | None           # address on the lan bridge
    db: str                   # address on the db bridge
    db_port: str              # its port on the db bridge, in the switch namespace
    wire: Path | None = None  # the control file of its user-space db link, if impairable


@dataclass
class Hosts:
    """A run's namespaces, links, private PostgreSQL and relays. Use as a context manager.

    ``workers``: how many worker hosts (``w1`` ... ``wN``); ``impairable``: worker hosts
    whose database link is a wire (:meth:`shape`) rather than a veth."""

    workers: int
    impairable: Sequence[str] = ()
    log: Callable[[str], None] = lambda _line: None
    prefix: str = field(default_factory=lambda: f"ac{secrets.token_hex(3)}")
    hosts: dict[str, Host] = field(default_factory=dict)
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _relayed: set[tuple[str, int]] = field(default_factory=set)
    _closed: bool = False

    # -- addresses --------------------------------------------------------------------------
    @property
    def pg_url(self) -> str:
        """The private server's admin URL (trust authentication on its own network)."""
        return f"postgresql+psycopg://postgres@{self.hosts['pg'].db}:5432/postgres"

    @property
    def outside(self) -> str:
        """The root namespace's lan address: where the hosts reach the sandboxes."""
        return f"10.{self.a}.{self.b}.1"

    def namespace(self, host: str) -> str:
        return self.hosts[host].namespace

    # -- building ---------------------------------------------------------------------------
    def __enter__(self) -> Hosts:
        atexit.register(self.close)
        if threading.current_thread() is threading.main_thread() and \
                signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _exit_on_sigterm)
        try:
            self._build()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _build(self) -> None:
        began = time.monotonic()
        self.a, self.b = _free_subnet()
        self.tmp = Path(tempfile.mkdtemp(prefix=f"accord-{self.prefix}-"))
        lan, db = f"10.{self.a}.{self.b}", f"10.{self.a}.{self.b + 1}"
        sw = self._namespace("sw")
        for bridge in ("lan", "db"):
            ip("-n", sw, "link", "add", bridge, "type", "bridge")
            ip("-n", sw, "link", "set", bridge, "up")
        # the root namespace: one leg on each bridge
        for bridge, address in (("lan", f"{lan}.1"), ("db", f"{db}.1")):
            mine = f"{self.prefix}{bridge[0]}"
            ip("link", "add", mine, "type", "veth", "peer", "name", f"root-{bridge}",
               "netns", sw)
            ip("-n", sw, "link", "set", f"root-{bridge}", "master", bridge, "up")
            ip("addr", "add", f"{address}/24", "dev", mine)
            ip("link", "set", mine, "up")
        self._host("pg", lan=None, db=f"{db}.2")
        self._host("api", lan=f"{lan}.3", db=f"{db}.3")
        for k in range(1, self.workers + 1):
            self._host(f"w{k}", lan=f"{lan}.{10 + k}", db=f"{db}.{10 + k}")
        self._postgres()
        self.log(f"hosts {self.prefix}: pg, api, {self.workers} workers on 10.{self.a}."
                 f"{self.b}.0/23 in {time.monotonic() - began:.1f} s")

    def _namespace(self, name: str) -> str:
        namespace = f"{self.prefix}-{name}"
        ip("netns", "add", namespace)
        ip("-n", namespace, "link", "set", "lo", "up")
        return namespace

    def _host(self, name: str, *, lan: str | None, db: str) -> None:
        namespace = self._namespace(name)
        sw = f"{self.prefix}-sw"
        host = Host(name, namespace, lan, db, db_port=f"{name}-db")
        if lan:
            ip("link", "add", "lan0", "netns", namespace, "type", "veth", "peer", "name",
               f"{name}-lan", "netns", sw)
            ip("-n", sw, "link", "set", f"{name}-lan", "master", "lan", "up")
            ip("-n", namespace, "addr", "add", f"{lan}/24", "dev", "lan0")
            ip("-n", namespace, "link", "set", "lan0", "up")
        if name in self.impairable:
            host.wire = self._wire(host)
        else:
            ip("link", "add", "db0", "netns", namespace, "type", "veth", "peer", "name",
               host.db_port, "netns", sw)
        ip("-n", sw, "link", "set", host.db_port, "master", "db", "up")
        ip("-n", namespace, "addr", "add", f"{db}/24", "dev", "db0")
        ip("-n", namespace, "link", "set", "db0", "up")
        self.hosts[name] = host

    def _wire(self, host: Host) -> Path:
        """The host's database link as two TAP devices and a wire process between them:
        end A in the host (``db0``), end B on the db bridge."""
        a, b = f"{self.prefix}{host.name}a", f"{self.prefix}{host.name}b"
        for tap in (a, b):
            ip("tuntap", "add", "dev", tap, "mode", "tap")
        control = self.tmp / f"wire-{host.name}.json"
        control.write_text("{}")
        wire = self._spawn(None, ["python3", str(HERE / "wire.py"), str(control), a, b],
                           stdout=subprocess.PIPE)
        if wire.stdout is None or b"attached" not in wire.stdout.readline():
            raise HostsFailed(f"the wire of {host.name} did not attach its devices")
        ip("link", "set", a, "netns", host.namespace)
        ip("-n", host.namespace, "link", "set", a, "name", "db0")
        ip("link", "set", b, "netns", f"{self.prefix}-sw")
        ip("-n", f"{self.prefix}-sw", "link", "set", b, "name", host.db_port)
        return control

    def _postgres(self) -> None:
        """A private PostgreSQL 15 in the pg namespace, on its address only."""
        data = self.tmp / "pg"
        data.mkdir()
        shutil.chown(self.tmp, "postgres", "postgres")
        shutil.chown(data, "postgres", "postgres")
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
        done = subprocess.run([*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A",
                               "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"],
                              capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise HostsFailed(f"initdb: {done.stderr.strip()[-1000:]}")
        with (data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all 10.{self.a}.{self.b}.0/23 trust\n")
        pg = self.hosts["pg"]
        log = (self.tmp / "postgres.log").open("ab")
        self.postmaster = self._spawn("pg", [
            *as_postgres, str(PG_BIN / "postgres"), "-D", str(data),
            "-c", f"listen_addresses={pg.db}", "-c", "port=5432",
            "-c", f"unix_socket_directories={data}", "-c", "max_connections=300",
            "-c", "shared_buffers=128MB"], stdout=log)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            ready = subprocess.run([str(PG_BIN / "pg_isready"), "-h", pg.db, "-p", "5432",
                                    "-t", "1"], capture_output=True, check=False)
            if ready.returncode == 0:
                return
            if self.postmaster.poll() is not None:
                break
            time.sleep(0.3)
        raise HostsFailed(f"the private PostgreSQL did not start: "
                          f"{(self.tmp / 'postgres.log').read_text()[-1500:]}")

    # -- processes --------------------------------------------------------------------------
    def command(self, host: str | None, argv: Sequence[str]) -> list[str]:
        """``argv`` as run on ``host`` (None: the root namespace)."""
        return list(argv) if host is None else ["ip", "netns", "exec", self.namespace(host),
                                                *argv]

    def _spawn(self, host: str | None, argv: Sequence[str], **options: Any
               ) -> subprocess.Popen[bytes]:
        process = subprocess.Popen(self.command(host, argv),
                                   stdin=subprocess.DEVNULL, start_new_session=True,
                                   **{"stdout": subprocess.DEVNULL,
                                      "stderr": subprocess.STDOUT, **options})
        self._procs.append(process)
        return process

    def relay(self, host: str | None, listen: str, port: int, target: str,
              target_port: int | None = None) -> None:
        """``socat`` on ``host`` carrying TCP from ``listen:port`` to ``target`` (same port
        unless ``target_port``); once per listening address."""
        key = (f"{host}/{listen}", port)
        if key in self._relayed:
            return
        self._relayed.add(key)
        self._spawn(host, ["socat", f"TCP-LISTEN:{port},bind={listen},reuseaddr,fork",
                           f"TCP:{target}:{target_port or port}"])

    def reach_outside(self, host: str, ports: Sequence[int]) -> None:
        """Let ``host`` reach the root namespace's ``127.0.0.1:<port>`` (the sandboxes) at
        its own ``127.0.0.1:<port>``."""
        for port in ports:
            self.relay(None, self.outside, port, "127.0.0.1")
            self.relay(host, "127.0.0.1", port, self.outside)
        _wait_listening(self, host, ports)

    def expose(self, host: str, port: int) -> None:
        """Make ``host``'s ``port`` answer at the root namespace's ``127.0.0.1:<port>``."""
        target = self.hosts[host].lan
        if target is None:
            raise HostsFailed(f"{host} has no lan address")
        self.relay(None, "127.0.0.1", port, target)
        _wait_listening(self, None, [port])

    # -- troubles ---------------------------------------------------------------------------
    def cut(self, host: str) -> None:
        """Cut ``host`` off from the database: its port on the db bridge goes down."""
        ip("-n", f"{self.prefix}-sw", "link", "set", self.hosts[host].db_port, "down")

    def mend(self, host: str) -> None:
        ip("-n", f"{self.prefix}-sw", "link", "set", self.hosts[host].db_port, "up")

    def shape(self, host: str, *, delay_ms: float = 0, loss: float = 0.0,
              back_delay_ms: float = 0, back_loss: float = 0.0) -> None:
        """Delay and loss on ``host``'s database link, host -> database (``out``, what netem
        on the host's interface does) and back; the host must be impairable."""
        control = self.hosts[host].wire
        if control is None:
            raise HostsFailed(f"{host}'s database link is a veth; make it impairable")
        control.write_text(json.dumps({"out": {"delay_ms": delay_ms, "loss": loss},
                                       "back": {"delay_ms": back_delay_ms,
                                                "loss": back_loss}}))

    # -- figures ----------------------------------------------------------------------------
    def postgres_cpu(self) -> float:
        """CPU seconds the private PostgreSQL used so far: the postmaster with every backend
        it reaped, plus the live ones."""
        pid = self.postmaster.pid
        return cpu_seconds(pid, children=True) + sum(cpu_seconds(c) for c in _children(pid))

    # -- cleaning up ------------------------------------------------------------------------
    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        postmaster = getattr(self, "postmaster", None)
        if postmaster is not None and postmaster.poll() is None:
            postmaster.send_signal(signal.SIGINT)  # fast shutdown
            with contextlib.suppress(subprocess.TimeoutExpired):
                postmaster.wait(timeout=20)
        for process in reversed(self._procs):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        for process in reversed(self._procs):
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        listed = ip("netns", "list", check=False).stdout
        for namespace in re.findall(rf"^({re.escape(self.prefix)}-\S+)", listed, re.M):
            ip("netns", "del", namespace, check=False)
        for line in ip("-o", "link", "show", check=False).stdout.splitlines():
            match = re.match(rf"\d+: ({re.escape(self.prefix)}\w*)[@:]", line)
            if match:
                ip("link", "del", match[1], check=False)
        if getattr(self, "tmp", None):
            shutil.rmtree(self.tmp, ignore_errors=True)
        atexit.unregister(self.close)


def _exit_on_sigterm(*_: object) -> None:
    raise SystemExit(143)  # unwinds through every ``finally``: the hosts are removed


def _wait_listening(hosts: Hosts, host: str | None, ports: Sequence[int],
                    timeout: float = 10.0) -> None:
    """Until something listens on each port in ``host``'s namespace."""
    deadline = time.monotonic() + timeout
    wanted = {f":{port:04X}" for port in ports}
    while time.monotonic() < deadline:
        table = subprocess.run(hosts.command(host, ["cat", "/proc/net/tcp"]),
                               capture_output=True, text=True, check=False).stdout
        listening = {f":{line.split()[1].split(':')[1]}" for line in table.splitlines()[1:]
                     if line.split()[3] == "0A"}
        if wanted <= listening:
            return
        time.sleep(0.05)
    raise HostsFailed(f"relays on {host or 'root'} not listening on {sorted(ports)}")


__all__ = ["Host", "Hosts", "HostsFailed", "cpu_seconds", "unavailable"]
