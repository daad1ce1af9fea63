"""FakeBill sends no webhooks: accord polls ``GET /v1/events``, oldest first after the id of
the newest event handled (FakeBill's event ids sort in order)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from accord.connectors.base import ChangeBatch, InboundEvent
from tests.fakebill.connector.client import FakeBillClient


def event_from(system: str, event: dict[str, Any]) -> InboundEvent:
    return InboundEvent(system=system, event_id=str(event["id"]), event_type=str(event["type"]),
                        occurred_at=datetime.fromtimestamp(int(event["created"]), UTC),
                        payload=event)


class FakeBillEventsPoller:
    """:class:`accord.connectors.base.ChangePoller` over FakeBill's event feed."""

    def __init__(self, client: FakeBillClient) -> None:
        self.client = client

    def initial_cursor(self) -> str | None:
        newest = self.client.list("events", newest="true")
        return str(newest[0]["id"]) if newest else None

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        query: dict[str, str | int] = {"limit": max(1, min(limit, 100))}
        if cursor:
            query["after"] = cursor
        events = self.client.list("events", **query)
        if not events:
            return ChangeBatch((), cursor)
        return ChangeBatch(tuple(event_from(self.client.system, e) for e in events),
                           str(events[-1]["id"]))
