"""The SystemModstamp poller against concurrent writes that share one timestamp.

The sandbox clock is frozen, so every write in a phase gets the very same SystemModstamp; the
poller runs with a small page size while writer threads keep adding and changing records.
Across all polls each (record, stamp) must come exactly once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest
import requests

from accord.connectors.base import InboundEvent
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.intake import ModstampCursor, ModstampPoller
from accord.sandboxes.server import RunningSandbox

from .conftest import control_url
from .helpers import client_for


@pytest.fixture
def client(sandbox: RunningSandbox, control: requests.Session) -> Iterator[SalesforceClient]:
    made = client_for(sandbox)
    yield made
    made.session.close()


def drain(poller: ModstampPoller, cursor: str | None, limit: int
          ) -> tuple[list[InboundEvent], str | None]:
    events: list[InboundEvent] = []
    while True:
        batch = poller.poll(cursor, limit)
        cursor = batch.cursor
        if not batch.events:
            return events, cursor
        events += batch.events


def current_pairs(client: SalesforceClient) -> set[tuple[str, str]]:
    return {(row["Id"], row["SystemModstamp"])
            for row in client.query("SELECT Id, SystemModstamp FROM Account")}


def test_concurrent_writes_sharing_one_timestamp_are_neither_missed_nor_repeated(
        sandbox: RunningSandbox, control: requests.Session, client: SalesforceClient) -> None:
    control.post(control_url(sandbox, "/clock/freeze"), json={}).raise_for_status()
    poller = ModstampPoller(client, "Account", ["Name"], overlap=timedelta(seconds=60))
    seen: list[InboundEvent] = []
    cursor: str | None = None

    def write(names: list[str]) -> None:
        with ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda name: client.create("Account", {"Name": name}), names))

    # phase 1: writers and the poller run at the same time, all at one frozen instant
    writer = threading.Thread(target=write, args=([f"A{n}" for n in range(40)],))
    writer.start()
    while writer.is_alive():
        batch = poller.poll(cursor, 7)
        seen += batch.events
        cursor = batch.cursor
    writer.join()
    more, cursor = drain(poller, cursor, 7)
    seen += more
    stamps = {event.occurred_at for event in seen}
    assert len(stamps) == 1, "the clock was frozen: every write shares one SystemModstamp"

    # phase 2: more records land at that same instant after the poller has moved past it
    write([f"B{n}" for n in range(12)])
    late, cursor = drain(poller, cursor, 5)
    assert sorted(event.payload["record"]["Name"] for event in late) == sorted(
        f"B{n}" for n in range(12))
    seen += late

    # phase 3: time moves; updates to old records and new records, concurrently
    control.post(control_url(sandbox, "/clock/advance"), json={"seconds": 1}).raise_for_status()
    old = [event.payload["record"]["Id"] for event in seen[:8]]
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda rid: client.update("Account", rid, {"Industry": "Retail"}), old))
    write([f"C{n}" for n in range(3)])
    changed, cursor = drain(poller, cursor, 4)
    assert {event.payload["record"]["Id"] for event in changed} >= set(old)
    assert len(changed) == 11
    seen += changed

    ids = [event.event_id for event in seen]
    assert len(ids) == len(set(ids)), "an event was delivered twice"
    delivered = {(event.payload["record"]["Id"], event.payload["record"]["SystemModstamp"])
                 for event in seen}
    assert current_pairs(client) <= delivered, "a change was missed"
    assert len(delivered) == 40 + 12 + 8 + 3


def test_the_cursor_is_durable_text(sandbox: RunningSandbox, control: requests.Session,
                                    client: SalesforceClient) -> None:
    control.post(control_url(sandbox, "/clock/freeze"), json={}).raise_for_status()
    client.create_many("Account", [{"Name": f"N{n}"} for n in range(5)])
    first = ModstampPoller(client, "Account", ["Name"]).poll(None, 3)
    assert first.cursor is not None
    stored = ModstampCursor.decode(first.cursor)
    assert len(stored.seen) == 3
    # a new poller (after a restart) continues from the stored text
    rest = ModstampPoller(client, "Account", ["Name"]).poll(first.cursor, 10)
    assert len(rest.events) == 2
    assert {e.event_id for e in rest.events}.isdisjoint({e.event_id for e in first.events})
    again = ModstampPoller(client, "Account", ["Name"]).poll(rest.cursor, 10)
    assert again.events == []
    assert again.cursor == rest.cursor


@pytest.mark.parametrize(("overlap_seconds", "found"), [(60, True), (0, False)])
def test_the_overlap_window_catches_late_commits(
        sandbox: RunningSandbox, control: requests.Session, client: SalesforceClient,
        overlap_seconds: int, found: bool) -> None:
    now = datetime.fromisoformat(control.get(control_url(sandbox, "/clock")).json()["now"])
    control.post(control_url(sandbox, "/clock/freeze"), json={"at": now.isoformat()}
                 ).raise_for_status()
    client.create("Account", {"Name": "On time"})
    poller = ModstampPoller(client, "Account", ["Name"],
                            overlap=timedelta(seconds=overlap_seconds))
    first = poller.poll(None, 10)
    assert [e.payload["record"]["Name"] for e in first.events] == ["On time"]
    # a transaction stamped two seconds earlier becomes visible only now
    earlier = now - timedelta(seconds=2)
    control.post(control_url(sandbox, "/clock/freeze"), json={"at": earlier.isoformat()}
                 ).raise_for_status()
    client.create("Account", {"Name": "Committed late"})
    second = poller.poll(first.cursor, 10)
    assert [e.payload["record"]["Name"] for e in second.events] == (
        ["Committed late"] if found else [])
    # replaying from the old cursor (say after a crash) gives the same event ids
    assert [e.event_id for e in poller.poll(first.cursor, 10).events] == [
        e.event_id for e in second.events]
