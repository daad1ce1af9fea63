"""Peer (a): a plain synchronous point-to-point script.

    python bench/peers/sync_script.py FEED STATE_DIR

Reads Stripe events from FEED (one JSON event a line, as a webhook log or ``/v1/events``
listing gives them) and, for each ``invoice.finalized``, reads the invoice from Stripe and
upserts it in NetSuite (``glue_netsuite``), one event after another. It keeps its place
in ``STATE_DIR/cursor`` (the feed offset after the last event handled), so a restarted
script carries on where it stopped. A call that still fails after the session's retries is logged to
``STATE_DIR/failed.log`` and the script moves on, so one bad event does not stop the rest.
Each posted invoice is appended to ``STATE_DIR/done.log`` (``<stripe invoice id> <epoch>``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import requests
from glue_netsuite import customer_map, post_invoice_event, session, stripe_session
from workload import EVENT_TYPE, append_done, iter_feed

log = logging.getLogger("sync_script")


def main() -> None:
    feed, state = Path(sys.argv[1]), Path(sys.argv[2])
    state.mkdir(parents=True, exist_ok=True)
    cursor_file = state / "cursor"
    start = int(cursor_file.read_text()) if cursor_file.exists() else 0
    http, stripe, customers = session(), stripe_session(), customer_map()
    for offset, event in iter_feed(feed, start):
        if event.get("type") == EVENT_TYPE:
            try:
                post_invoice_event(http, stripe, customers, event)
                append_done(state / "done.log", event["data"]["object"]["id"], time.time())
            except requests.RequestException as exc:
                log.error("event %s failed: %s", event["id"], exc)
                with (state / "failed.log").open("a") as failed:
                    failed.write(f"{event['id']} {type(exc).__name__}\n")
        tmp = cursor_file.with_suffix(".tmp")
        tmp.write_text(str(offset))
        os.replace(tmp, cursor_file)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    main()
