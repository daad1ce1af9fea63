"""A NetSuite sandbox in its own process, for the benchmarks (its CPU then does not compete
with the measured process for the GIL).

    with NetSuiteProcess(latency_ms=150, concurrency=5) as sandbox:
        settings = sandbox.settings()
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx
from pydantic import SecretStr

from accord.connectors.netsuite.settings import NetSuiteSettings


def cpu_seconds_of(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` (Linux /proc)."""
    values = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(values[11]) + int(values[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb_of(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class NetSuiteProcess:
    def __init__(self, *, latency_ms: int = 0, concurrency: int = 5) -> None:
        self.latency_ms = latency_ms
        self.concurrency = concurrency
        self._dir = tempfile.TemporaryDirectory(prefix="accord-bench-ns-")
        self.proc: subprocess.Popen[str] | None = None
        self.credentials: dict[str, Any] = {}

    def __enter__(self) -> NetSuiteProcess:
        self.proc = subprocess.Popen([sys.executable, __file__, self._dir.name],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.credentials = json.loads(self.proc.stdout.readline())
        self.control = httpx.Client(base_url=f"{self.credentials['base_url']}/__sandbox",
                                    timeout=60)
        self.set_latency(self.latency_ms)
        return self

    def set_latency(self, latency_ms: int) -> None:
        """Latency added to every call (inside its concurrency slot), and the account's
        concurrency limit; the governance counters start again from zero."""
        self.latency_ms = latency_ms
        self.control.put("/faults", json={"latency_ms": latency_ms,
                                          "concurrency_limit": self.concurrency}
                         ).raise_for_status()
        self.control.post("/netsuite/governance/reset").raise_for_status()

    def __exit__(self, *_exc: object) -> None:
        self.control.close()
        if self.proc is not None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            self.proc.wait(timeout=60)
        self._dir.cleanup()

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def settings(self) -> NetSuiteSettings:
        c = self.credentials
        return NetSuiteSettings(base_url=c["base_url"], account_id=c["account_id"],
                                consumer_key=c["consumer_key"],
                                consumer_secret=SecretStr(c["consumer_secret"]),
                                token_id=c["token_id"], token_secret=SecretStr(c["token_secret"]),
                                max_concurrency=self.concurrency)

    def env(self) -> dict[str, str]:
        """``ACCORD_NETSUITE_*`` for worker processes."""
        c = self.credentials
        return {"ACCORD_NETSUITE_BASE_URL": c["base_url"],
                "ACCORD_NETSUITE_ACCOUNT_ID": c["account_id"],
                "ACCORD_NETSUITE_CONSUMER_KEY": c["consumer_key"],
                "ACCORD_NETSUITE_CONSUMER_SECRET": c["consumer_secret"],
                "ACCORD_NETSUITE_TOKEN_ID": c["token_id"],
                "ACCORD_NETSUITE_TOKEN_SECRET": c["token_secret"],
                "ACCORD_NETSUITE_MAX_CONCURRENCY": str(self.concurrency)}

    def governance(self) -> dict[str, Any]:
        data: dict[str, Any] = self.control.get("/netsuite/governance").json()
        return data


def _serve(data_dir: str) -> None:
    import logging

    from accord.sandboxes.base import SandboxOptions
    from accord.sandboxes.netsuite import SANDBOX
    from accord.sandboxes.server import start_in_thread

    logging.disable(logging.WARNING)
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=Path(data_dir)))
    print(json.dumps(running.credentials()), flush=True)
    sys.stdin.read()  # until the parent closes our stdin
    running.stop()


if __name__ == "__main__":
    _serve(sys.argv[1])
