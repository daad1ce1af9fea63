"""The glue peers' delivery feed and done log (the shared workload itself, the events and the
verdict, is ``bench/support/workload.py``).

The harness appends each delivery to a feed file the synchronous script reads, ending with
``END``; a glue peer appends ``<stripe invoice id> <epoch seconds>`` to its done log once
NetSuite answered the upsert.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

EVENT_TYPE = "invoice.finalized"
END = {"type": "__end__"}
"""The last line of a delivery feed: a consumer that reads it has seen every delivery."""


def write_feed(path: Path, deliveries: Iterable[dict[str, Any]], *, end: bool = True) -> None:
    with path.open("a") as feed:
        for delivery in deliveries:
            feed.write(json.dumps(delivery) + "\n")
        if end:
            feed.write(json.dumps(END) + "\n")


def read_done(path: Path) -> dict[str, float]:
    """First completion time (epoch seconds) per Stripe invoice id from a done log, whose
    lines are ``<stripe invoice id> <epoch seconds>``; later lines for the same invoice (a
    redelivery after a crash) are ignored."""
    done: dict[str, float] = {}
    if not path.exists():
        return done
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0] not in done:
            done[parts[0]] = float(parts[1])
    return done


def append_done(path: Path, stripe_invoice_id: str, when: float) -> None:
    with path.open("a") as log:
        log.write(f"{stripe_invoice_id} {when:.6f}\n")


def iter_feed(path: Path, start: int) -> Iterator[tuple[int, dict[str, Any]]]:
    """Deliveries from byte offset ``start``, with the offset after each; stops at END.
    Waits for lines the harness has not written yet (the feed is appended while it runs)."""
    import time

    with path.open("rb") as feed:
        feed.seek(start)
        while True:
            line = feed.readline()
            if not line.endswith(b"\n"):
                feed.seek(feed.tell() - len(line))
                time.sleep(0.02)
                continue
            delivery = json.loads(line)
            if delivery.get("type") == END["type"]:
                return
            yield feed.tell(), delivery
