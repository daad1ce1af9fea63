"""Every command the README shows runs, as a new user would run it: each ``sh`` block of the
README in a fresh folder, each command as a subprocess with the installed ``accord`` first
on ``PATH`` and no ``ACCORD_*`` settings, in order. A command that keeps running (a sandbox,
``accord serve``, ``accord demo --keep-running``) is started, waited on until it serves,
and stopped with SIGTERM at the end of its block. Every command must end with exit code 0
and print no traceback.

The Quickstart's ``make demo`` and ``make test`` are the only lines not run here: ``make
test`` is this very suite, and ``make demo`` runs ``accord demo``, which
``tests/flows/test_demo_cli.py`` runs the same way. The README's ``accord demo --accounts 25
--keep-running`` is the session's shared demo month (``tests/demo_month.py``): the same
command, run once for every test of a running demo, and held to the same rules; its ``accord
demo --crm both ...`` is run and judged by ``tests/demo/test_two_crms.py``.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.demo.test_two_crms import COMMAND as TWO_CRMS
from tests.demo_month import COMMAND, DemoMonth

pytestmark = pytest.mark.default_ports  # see tests/conftest.py DEFAULT_PORTS

README = Path(__file__).parents[1] / "README.md"
BIN = Path(sys.executable).parent


def sh_blocks() -> list[list[str]]:
    """The commands of each ``sh`` block, comments stripped."""
    blocks = re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    found = []
    for block in blocks:
        commands = [line.split(" #", 1)[0].strip() for line in block.splitlines()]
        found.append([command for command in commands if command])
    return found


SHARED_DEMO = " ".join(COMMAND)
TWO_CRMS_DEMO = " ".join(TWO_CRMS)
"""Run, and judged on its summary, by ``tests/demo/test_two_crms.py``."""


def runnable(block: list[str]) -> bool:
    return not all(command.startswith("make ") for command in block) \
        and block not in ([SHARED_DEMO], [TWO_CRMS_DEMO])


@dataclass
class Background:
    command: str
    process: subprocess.Popen[str]
    output: Path


def _sandboxes_serve() -> bool:
    urls = ("http://127.0.0.1:12111", "https://127.0.0.1:12112", "http://127.0.0.1:12113")
    try:
        return all(httpx.get(f"{url}/__sandbox/health", verify=False, timeout=2
                             ).status_code == 200 for url in urls)
    except httpx.TransportError:
        return False


def _accord_ready() -> bool:
    try:
        return httpx.get("http://127.0.0.1:8080/readyz", timeout=5).status_code == 200
    except httpx.TransportError:
        return False


def _printed(text: str) -> Callable[[Path], bool]:
    return lambda output: text in output.read_text(encoding="utf-8", errors="replace")


LONG_RUNNING: list[tuple[str, Callable[[Path], bool], float]] = [
    ("accord sandbox start", lambda _output: _sandboxes_serve(), 60),
    ("accord serve", lambda _output: _accord_ready(), 120),
    ("accord demo", _printed("admin token: acc_"), 900),
]
"""(command prefix, ready when, within seconds) for the commands that keep running."""


def _long_running(command: str) -> tuple[Callable[[Path], bool], float] | None:
    for prefix, ready, timeout in LONG_RUNNING:
        if command.startswith(prefix) and ("--keep-running" in command
                                           or not prefix.startswith("accord demo")):
            return ready, timeout
    return None


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ACCORD_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["COLUMNS"] = "200"
    return env


def _check_output(command: str, text: str) -> None:
    assert "Traceback" not in text, f"{command} printed a traceback:\n{text[-3000:]}"


@pytest.mark.parametrize("block", [b for b in sh_blocks() if runnable(b)],
                         ids=lambda block: block[0])
def test_readme_commands_run_as_documented(block: list[str], tmp_path: Path) -> None:
    env = _env()
    started: list[Background] = []
    try:
        for index, command in enumerate(block):
            args = shlex.split(command)
            waiting = _long_running(command)
            if waiting is None:
                done = subprocess.run(args, cwd=tmp_path, env=env, capture_output=True,
                                      text=True, timeout=600, check=False)
                _check_output(command, done.stdout + done.stderr)
                assert done.returncode == 0, f"{command}: exit {done.returncode}\n" \
                    f"{(done.stdout + done.stderr)[-3000:]}"
                continue
            ready, timeout = waiting
            output = tmp_path / f"background-{index}.log"
            with output.open("w") as sink:
                process = subprocess.Popen(args, cwd=tmp_path, env=env, stdout=sink,
                                           stderr=subprocess.STDOUT, text=True)
            started.append(Background(command, process, output))
            deadline = time.monotonic() + timeout
            while not ready(output):
                log = output.read_text(encoding="utf-8", errors="replace")
                assert process.poll() is None, f"{command} ended ({process.returncode}):\n" \
                    f"{log[-3000:]}"
                assert time.monotonic() < deadline, f"{command} not ready in {timeout} s:\n" \
                    f"{log[-3000:]}"
                time.sleep(0.5)
    finally:
        for background in reversed(started):
            if background.process.poll() is None:
                background.process.send_signal(signal.SIGTERM)
        for background in reversed(started):
            try:
                background.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                background.process.kill()
                background.process.wait()
    for background in started:
        log = background.output.read_text(encoding="utf-8", errors="replace")
        _check_output(background.command, log)
        assert background.process.returncode == 0, \
            f"{background.command}: exit {background.process.returncode} on SIGTERM\n{log[-3000:]}"


def test_the_readmes_two_crm_month_is_the_one_its_test_runs() -> None:
    """The README's ``--crm both`` block is exactly the command ``tests/demo/test_two_crms.py``
    runs to the end and checks (so it is not run twice)."""
    assert [TWO_CRMS_DEMO] in sh_blocks()


def test_the_readmes_running_demo_is_the_shared_demo_month(demo_month: DemoMonth) -> None:
    """The README's demo block is exactly the command the shared month runs; that month
    printed where its console is and a token, answers, and (at the session's end) stops on
    SIGTERM with exit code 0 and no traceback."""
    assert [SHARED_DEMO] in sh_blocks()
    assert demo_month.console == "http://127.0.0.1:8080/console"  # the documented address
    with demo_month.api() as api:
        assert api.get("/v1/exceptions").status_code == 200
