"""The processes the demo starts - each sandbox, ``accord serve`` and ``accord worker`` - as
a customer's machines would run them: separate programs, configured only by an
``accord.toml`` and ``ACCORD_*`` variables, each logging to its own file. Stopping the
stack sends SIGTERM to each (newest first), waits, then SIGKILLs what is left: nothing the
demo started keeps listening.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

STOP_GRACE_SECONDS = 20.0


class StartFailed(RuntimeError):
    """A process exited or never answered; the message ends with its log's last lines."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def accord_command() -> list[str]:
    """How to run ``accord`` with this very installation."""
    return [sys.executable, "-m", "accord"]


def run_accord(args: Sequence[str], *, cwd: Path, env: Mapping[str, str],
               timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
    """A short ``accord`` command (this installation's own program) to its end."""
    return subprocess.run([*accord_command(), *args], cwd=cwd, env=dict(env),  # noqa: S603
                          capture_output=True, text=True, timeout=timeout, check=False)


def tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


@dataclass
class Started:
    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    """Every process the demo started, in order."""

    directory: Path
    env: dict[str, str]
    started: list[Started] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], *, extra_env: Mapping[str, str] | None = None
              ) -> Started:
        log = self.directory / "logs" / f"{name}.log"
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as output:
            process = subprocess.Popen(  # noqa: S603 - this installation's own program
                [*accord_command(), *args], cwd=self.directory, stdout=output,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**self.env, **(extra_env or {})}, start_new_session=True)
        entry = Started(name, process, log)
        self.started.append(entry)
        return entry

    def wait_ready(self, entry: Started, url: str, *, verify: str | bool = True,
                   timeout: float = 120.0, ready: Callable[[httpx.Response], bool] | None = None
                   ) -> None:
        """Until ``url`` answers (and ``ready`` holds), or the process ends."""
        deadline = time.monotonic() + timeout
        with httpx.Client(verify=verify, timeout=5) as http:
            while time.monotonic() < deadline:
                if entry.process.poll() is not None:
                    raise StartFailed(f"{entry.name} exited with {entry.process.returncode}; "
                                      f"its log ({entry.log}) ends:\n{tail(entry.log)}")
                try:
                    answer = http.get(url)
                    if answer.status_code < 500 and (ready is None or ready(answer)):
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.2)
        raise StartFailed(f"{entry.name} did not answer at {url} within {timeout:.0f} s; its "
                          f"log ({entry.log}) ends:\n{tail(entry.log)}")

    def check_alive(self) -> None:
        for entry in self.started:
            if entry.process.poll() is not None:
                raise StartFailed(f"{entry.name} stopped (exit {entry.process.returncode}); "
                                  f"its log ({entry.log}) ends:\n{tail(entry.log)}")

    def stop(self) -> None:
        for entry in reversed(self.started):
            if entry.process.poll() is None:
                entry.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_SECONDS
        for entry in reversed(self.started):
            remaining = max(0.1, deadline - time.monotonic())
            try:
                entry.process.wait(timeout=remaining)
            except subprocess.TimeoutExpired:
                os.killpg(entry.process.pid, signal.SIGKILL)
                entry.process.wait()
        self.started.clear()


__all__ = ["Stack", "StartFailed", "Started", "accord_command", "free_port", "port_free",
           "run_accord", "tail"]
