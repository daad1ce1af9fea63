"""The demo's running world: three sandboxes and accord, as separate processes.

:func:`start` chooses ports, starts each sandbox (``accord sandbox start <name>``), writes
the configuration the way a user would (``accord init --sandboxes``, which registers the
webhook endpoint with the Stripe sandbox and keeps its signing secret in a secret file),
starts the service - ``accord serve``, or ``accord serve --no-workers`` and N ``accord
worker`` processes - waits until it is ready, and creates an admin token for the demo.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from accord.demo.processes import Stack, StartFailed, free_port, port_free, run_accord
from accord.sandboxes import registry as sandboxes

WORKER_PREFIX = "demo-worker-"


class PortTaken(RuntimeError):
    def __init__(self, port: int, what: str, fix: str) -> None:
        super().__init__(f"port {port} ({what}) is already in use: {fix}")


@dataclass(frozen=True)
class Layout:
    """Where and how the demo runs its processes."""

    default_sandbox_ports: bool
    api_port: int
    """0 picks a free one."""
    workers: int = 0
    """0: ``accord serve`` runs the engine; N: ``--no-workers`` plus N worker processes."""
    database_url: str | None = None
    """None: SQLite in the demo's folder; a ``postgresql://`` URL: an empty database."""
    poll_every: int = 2
    """Seconds between polls of each stream: a sandbox answers at once, so the demo need not
    wait the 10 s to 60 s a laptop setup polls at."""


@dataclass
class Environment:
    stack: Stack
    directory: Path
    api_url: str
    token: str
    sandboxes: dict[str, str]
    """sandbox name -> base URL"""
    credentials: dict[str, dict[str, str]]
    """sandbox name -> its development credentials"""

    def api(self) -> httpx.Client:
        return httpx.Client(base_url=self.api_url, timeout=60,
                            headers={"Authorization": f"Bearer {self.token}"})


def _environment(directory: Path, layout: Layout) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env.update({"ACCORD_CONFIG": str(directory / "accord.toml"),
                "ACCORD_DATA_DIR": str(directory / ".accord"),
                "ACCORD_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"})
    if layout.database_url:
        env["ACCORD_DATABASE_URL"] = layout.database_url
    return env


def _port(wanted: int, what: str, fix: str) -> int:
    if wanted == 0:
        return free_port()
    if not port_free(wanted):
        raise PortTaken(wanted, what, fix)
    return wanted


def _run(stack: Stack, *args: str) -> str:
    """A short accord command in the demo's environment; its standard output."""
    done = run_accord(args, cwd=stack.directory, env=stack.env)
    if done.returncode != 0:
        raise StartFailed(f"accord {' '.join(args)} failed ({done.returncode}): "
                          f"{done.stderr.strip()[-2000:]}")
    return done.stdout


def _wait_for_line(stack: Stack, name: str, pattern: str, timeout: float = 120.0) -> None:
    entry = next(e for e in stack.started if e.name == name)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stack.check_alive()
        if re.search(pattern, entry.log.read_text(encoding="utf-8", errors="replace")):
            return
        time.sleep(0.2)
    raise StartFailed(f"{name} did not start within {timeout:.0f} s (see {entry.log})")


Configure = Callable[[Path], None]
"""Called with the path of ``accord.toml`` once ``accord init`` wrote it, before the service
starts: the place to tune the deployment as its operator would (the drills set limits,
retries and schedules there)."""


@contextmanager
def start(directory: Path, layout: Layout, configure: Configure | None = None
          ) -> Iterator[Environment]:
    stack = Stack(directory, _environment(directory, layout))
    try:
        yield _start(stack, layout, configure)
    finally:
        stack.stop()


def _start(stack: Stack, layout: Layout, configure: Configure | None = None) -> Environment:
    api_port = _port(layout.api_port, "the API and console",
                     "pass --port N, or --port 0 for a free one")
    urls: dict[str, str] = {}
    credentials: dict[str, dict[str, str]] = {}
    data = stack.directory / ".accord" / "sandboxes"
    waiting = []
    # the sandboxes start side by side (each imports Python for seconds), then are awaited;
    # the TLS one first, alone, as it writes the CA the others' clients never need
    for name, definition in sorted(sandboxes.available().items(),
                                   key=lambda item: not item[1].tls):
        port = _port(definition.default_port if layout.default_sandbox_ports else 0,
                     f"the {name} sandbox", "stop what listens there, or pass --free-ports")
        scheme = "https" if definition.tls else "http"
        urls[name] = f"{scheme}://127.0.0.1:{port}"
        entry = stack.start(f"sandbox-{name}", ["sandbox", "start", name, "--port", str(port)])
        verify: str | bool = str(data / "tls" / "ca.pem") if definition.tls else True
        if definition.tls:
            _wait_tls(data, definition.tls)
        waiting.append((entry, f"{urls[name]}/__sandbox/health", verify))
    for entry, url, verify in waiting:
        stack.wait_ready(entry, url, verify=verify)
    overrides = [arg for name, url in urls.items() for arg in ("--sandbox", f"{name}={url}")]
    api_url = f"http://127.0.0.1:{api_port}"
    _run(stack, "init", "--sandboxes", "--api-url", api_url, "--poll-every",
         str(layout.poll_every), *overrides)
    for name, url in urls.items():
        credentials[name] = _credentials(stack, name, url)
    if configure is not None:
        configure(stack.directory / "accord.toml")
    if layout.workers:
        serve = stack.start("serve", ["serve", "--no-workers", "--port", str(api_port)])
        workers = [f"{WORKER_PREFIX}{index}" for index in range(1, layout.workers + 1)]
        for worker in workers:
            stack.start(worker, ["worker", "--id", worker])
        for worker in workers:
            _wait_for_line(stack, worker, rf"worker {worker} on ")
    else:
        serve = stack.start("serve", ["serve", "--port", str(api_port)])
    stack.wait_ready(serve, f"{api_url}/readyz", ready=lambda answer: answer.status_code == 200)
    token = _run(stack, "tokens", "create", "--role", "admin", "--name", "demo").strip()
    return Environment(stack=stack, directory=stack.directory, api_url=api_url, token=token,
                       sandboxes=urls, credentials=credentials)


def _wait_tls(data: Path, tls: bool, timeout: float = 60.0) -> None:
    """The TLS sandbox writes its CA on start; wait for it before trusting it."""
    deadline = time.monotonic() + timeout
    while tls and not (data / "tls" / "ca.pem").exists():
        if time.monotonic() > deadline:
            raise StartFailed(f"no CA at {data / 'tls' / 'ca.pem'}")
        time.sleep(0.1)


def _credentials(stack: Stack, name: str, url: str) -> dict[str, Any]:
    import json

    port = url.rsplit(":", 1)[1]
    found: dict[str, Any] = json.loads(_run(stack, "sandbox", "credentials", name,
                                            "--port", port))
    return found


__all__ = ["WORKER_PREFIX", "Configure", "Environment", "Layout", "PortTaken", "start"]
