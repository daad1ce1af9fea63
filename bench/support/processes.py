"""The benchmarks' process handling: start a command in its own process group, stop a group
(SIGTERM, then SIGKILL), and sample the CPU time and memory of a set of processes."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Callable, Iterable
from contextlib import suppress
from pathlib import Path
from typing import IO

import psutil


def spawn(args: list[str], *, env: dict[str, str], cwd: Path,
          log: IO[str]) -> subprocess.Popen[bytes]:
    """``args`` in a process group of its own (so stopping it stops its children, and a
    Ctrl-C in the harness's terminal reaches the harness only, which then stops it)."""
    return subprocess.Popen(args, env=env, cwd=cwd, stdout=log, stderr=log,
                            start_new_session=True)


def kill_group(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL ``proc``'s process group, as a container kill does, and reap it."""
    if proc.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()


def stop_groups(procs: Iterable[subprocess.Popen[bytes]], timeout: float = 30) -> None:
    """SIGTERM every live process group, then SIGKILL those still running after
    ``timeout`` seconds."""
    procs = list(procs)
    for proc in procs:
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            kill_group(proc)


def tree(procs: Iterable[subprocess.Popen[bytes]]) -> list[int]:
    """The pids of ``procs`` that still run, and of their children."""
    found: list[int] = []
    for proc in procs:
        try:
            parent = psutil.Process(proc.pid)
            found += [parent.pid, *(child.pid for child in parent.children(recursive=True))]
        except psutil.NoSuchProcess:
            continue
    return found


class ProcessSampler(threading.Thread):
    """Peak summed RSS of the processes ``pids`` names, and the CPU time each of them has used
    (last seen), sampled every ``interval`` seconds. CPU counts from the sampler's creation:
    what a process spent starting (imports, migrations) before it was ready is not
    per-event work; a process started later counts in full."""

    def __init__(self, pids: Callable[[], Iterable[int]], interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.interval = interval
        self.peak = 0
        self.cpu: dict[int, float] = {}
        self.halt = threading.Event()
        self.baseline: dict[int, float] = {}
        for pid in pids():
            with suppress(psutil.NoSuchProcess):
                times = psutil.Process(pid).cpu_times()
                self.baseline[pid] = times.user + times.system

    def cpu_seconds(self, pids: set[int] | None = None) -> float:
        return sum(max(0.0, used - self.baseline.get(pid, 0.0))
                   for pid, used in self.cpu.items() if pids is None or pid in pids)

    def sample(self) -> None:
        total = 0
        for pid in self.pids():
            try:
                process = psutil.Process(pid)
                total += process.memory_info().rss
                times = process.cpu_times()
                self.cpu[pid] = times.user + times.system
            except psutil.NoSuchProcess:
                continue
        self.peak = max(self.peak, total)

    def run(self) -> None:
        while not self.halt.wait(self.interval):
            self.sample()

    def finish(self) -> None:
        """Stop sampling, after one last sample (while the processes still run)."""
        self.halt.set()
        if self.is_alive():
            self.join()
        self.sample()


__all__ = ["ProcessSampler", "kill_group", "spawn", "stop_groups", "tree"]
