"""A cross-process SlotGate for tests: N lock files under a directory, held with flock.

It stands in for the engine's shared gate to show that the connector's concurrency is
whatever gate it is given, across processes as well as threads. Each acquisition opens its
own descriptor, so threads of one process contend like separate processes do.
"""

from __future__ import annotations

import fcntl
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Any


class FileSlotGate:
    def __init__(self, directory: Path, slots: int) -> None:
        self.paths = [directory / f"slot-{index}.lock" for index in range(slots)]
        for path in self.paths:
            path.touch(exist_ok=True)
        self._turn = itertools.count(os.getpid())

    @contextmanager
    def slot(self) -> Iterator[None]:
        path = self.paths[next(self._turn) % len(self.paths)]
        fd = os.open(path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing the descriptor releases the lock


def post_burst(settings_json: str, gate_dir: str, customer_id: str, day: str, count: int,
               prefix: str) -> list[str]:
    """Run in a child process: post ``count`` invoices from 8 threads; return failures."""
    from concurrent.futures import ThreadPoolExecutor

    from tests.netsuite import documents

    from accord.connectors.netsuite.client import NetSuiteClient
    from accord.connectors.netsuite.posting import NetSuitePoster
    from accord.connectors.netsuite.refdata import load_refdata
    from accord.connectors.netsuite.settings import NetSuiteSettings

    settings = NetSuiteSettings.model_validate_json(settings_json)
    gate = FileSlotGate(Path(gate_dir), 5)
    with NetSuiteClient(settings, gate=gate) as client:
        poster = NetSuitePoster(client, load_refdata())

        def post(index: int) -> Any:
            invoice = documents.invoice(customer_id, date.fromisoformat(day),
                                        number=f"{prefix}-{index:04d}")
            try:
                return poster.post_invoice(invoice)
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(post, range(count)))
    return [r for r in results if not str(r).isdigit()]
