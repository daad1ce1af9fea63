"""accord deployed on the drills' hosts (drills/hosts.py): the demo's start-up
(:mod:`accord.demo.environment`) unchanged, with ``accord serve --no-workers`` started in
the api namespace and each ``accord worker`` in a worker host's namespace, all on the
hosts' private PostgreSQL. The sandboxes and every short ``accord`` command (``init``,
``tokens``) run in the root namespace, as an operator's laptop and the vendors' internet.

Which host a worker runs on is :meth:`HostStack.place`'s to say; by default
``demo-worker-k`` runs on ``wk``. A worker started again under a new id (a rolling restart)
is placed on the host of the one it replaces.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from hosts import Hosts

from accord.demo import environment
from accord.demo.environment import WORKER_PREFIX, Configure, Environment, Layout
from accord.demo.processes import Stack, Started, accord_command


class HostStack(Stack):
    """A :class:`Stack` whose API and workers start on the hosts."""

    def __init__(self, directory: Path, env: dict[str, str], hosts: Hosts) -> None:
        super().__init__(directory, env)
        self.hosts = hosts
        self.sandbox_ports: list[int] = []
        self.placement: dict[str, str] = {}

    def place(self, name: str, host: str) -> None:
        self.placement[name] = host

    def host_of(self, name: str) -> str | None:
        if name in self.placement:
            return self.placement[name]
        if name == "serve":
            return "api"
        if name.startswith(WORKER_PREFIX):
            return f"w{name.removeprefix(WORKER_PREFIX)}"
        return None

    def start(self, name: str, args: Sequence[str], *,
              extra_env: Mapping[str, str] | None = None) -> Started:
        host = self.host_of(name)
        if host is None:
            entry = super().start(name, args, extra_env=extra_env)
            if name.startswith("sandbox-") and "--port" in args:
                self.sandbox_ports.append(int(args[list(args).index("--port") + 1]))
            return entry
        self.hosts.reach_outside(host, self.sandbox_ports)
        args = list(args)
        if name == "serve":
            args += ["--host", "0.0.0.0"]  # the api namespace's own addresses only
        log = self.directory / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            process = subprocess.Popen(
                self.hosts.command(host, [*accord_command(), *args]), cwd=self.directory,
                stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**self.env, **(extra_env or {})}, start_new_session=True)
        entry = Started(name, process, log)
        self.started.append(entry)
        if name == "serve":
            self.hosts.expose("api", int(args[args.index("--port") + 1]))
        return entry


@contextmanager
def start(directory: Path, layout: Layout, configure: Configure | None, hosts: Hosts
          ) -> Iterator[Environment]:
    """:func:`accord.demo.environment.start` with the API and workers on ``hosts``."""
    stack = HostStack(directory, environment._environment(directory, layout), hosts)
    try:
        yield environment._start(stack, layout, configure)
    finally:
        stack.stop()


__all__ = ["HostStack", "start"]
