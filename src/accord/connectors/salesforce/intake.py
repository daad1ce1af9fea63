"""Intake: polling changes by ``SystemModstamp``, and the CDC-style change feed.

**SystemModstamp poller.** Salesforce stamps each write with ``SystemModstamp`` (millisecond
precision), but many records can share one stamp, and a transaction can commit after a later
stamp was already read. So the cursor is not just a timestamp: it holds the newest stamp
handled plus every ``(Id, SystemModstamp)`` pair handled within the overlap window before it.
Each poll re-reads from ``stamp - overlap`` ordered by ``SystemModstamp, Id`` and drops pairs
already handled; a record changed again has a new stamp and so comes again (a new change).
Nothing sharing a timestamp is missed, nothing is repeated, and event ids
(``<object>:<Id>:<stamp>``) make any replay idempotent downstream.

**CDC feed.** When ``cdc_feed_url`` is set, :class:`ChangeFeedPoller` reads change events
after a replay id and drops those whose ``changeOrigin`` names accord's own client id.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from accord.canonical import Contract
from accord.connectors.base import ChangeBatch, ChangePoller, InboundEvent
from accord.connectors.salesforce.client import SalesforceClient
from accord.connectors.salesforce.errors import SYSTEM, translate
from accord.connectors.salesforce.mapping import (
    is_closed_won,
    opportunity_to_contract,
    strip_attributes,
)
from accord.errors import AccordError, DataQualityError, PermanentError, Team, TransientError
from accord.resilience import call_with_retry

CLOSED_WON = "opportunity.closed_won"


def parse_stamp(value: str) -> datetime:
    """``2026-11-21T05:30:00.123+0000`` -> an aware datetime."""
    text = value.replace("Z", "+00:00")
    if len(text) > 5 and text[-5] in "+-" and text[-3] != ":":
        text = f"{text[:-2]}:{text[-2:]}"
    return datetime.fromisoformat(text).astimezone(UTC)


def soql_datetime(value: datetime) -> str:
    value = value.astimezone(UTC)
    return f"{value.strftime('%Y-%m-%dT%H:%M:%S')}.{value.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class ModstampCursor:
    """The newest stamp handled and the (Id -> stamp) pairs handled in the overlap window."""

    stamp: datetime | None = None
    seen: Mapping[str, str] = field(default_factory=dict)

    def encode(self) -> str:
        return json.dumps({"v": 1, "stamp": soql_datetime(self.stamp) if self.stamp else None,
                           "seen": dict(sorted(self.seen.items()))}, separators=(",", ":"))

    @classmethod
    def decode(cls, text: str | None) -> ModstampCursor:
        if not text:
            return cls()
        try:
            data = json.loads(text)
            stamp = parse_stamp(data["stamp"]) if data.get("stamp") else None
            return cls(stamp, {str(k): str(v) for k, v in dict(data.get("seen", {})).items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PermanentError(f"cursor: not a Salesforce change cursor ({exc})",
                                 system=SYSTEM) from exc


def event_type(object_name: str, record: Mapping[str, Any]) -> str:
    if object_name == "Opportunity" and is_closed_won(record):
        return CLOSED_WON
    if record.get("IsDeleted"):
        return f"{object_name.lower()}.deleted"
    return f"{object_name.lower()}.changed"


class ModstampPoller:
    """A :class:`~accord.connectors.base.ChangePoller` over one object."""

    def __init__(self, client: SalesforceClient, object_name: str, fields: Sequence[str], *,
                 overlap: timedelta = timedelta(minutes=5), include_deleted: bool = False
                 ) -> None:
        self.client = client
        self.object_name = object_name
        self.fields = tuple(dict.fromkeys(("Id", "SystemModstamp", *fields)))
        self.overlap = overlap
        self.include_deleted = include_deleted

    def _soql(self, since: datetime | None, limit: int) -> str:
        where = f" WHERE SystemModstamp >= {soql_datetime(since)}" if since else ""
        # field and object names are the caller's constants; the stamp is formatted here
        return (f"SELECT {', '.join(self.fields)} FROM {self.object_name}{where} "  # noqa: S608
                f"ORDER BY SystemModstamp ASC, Id ASC LIMIT {limit}")

    def _fetch(self, soql: str) -> list[dict[str, Any]]:
        if not self.include_deleted:
            return list(self.client.query(soql))
        page = self.client.call(lambda: self.client.sf.query_all(
            soql, include_deleted=True, headers=self.client.headers))
        return list(page["records"])

    def initial_cursor(self) -> str | None:
        """The newest stamp now, with every record changed in the overlap window before it
        marked seen."""
        newest = list(self.client.query(
            f"SELECT Id, SystemModstamp FROM {self.object_name} "  # noqa: S608
            "ORDER BY SystemModstamp DESC LIMIT 1"))
        if not newest:
            return None
        stamp = parse_stamp(str(newest[0]["SystemModstamp"]))
        recent = self.client.query(
            f"SELECT Id, SystemModstamp FROM {self.object_name} "  # noqa: S608
            f"WHERE SystemModstamp >= {soql_datetime(stamp - self.overlap)}")
        seen = {str(row["Id"]): str(row["SystemModstamp"]) for row in recent}
        return ModstampCursor(stamp, seen).encode()

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        state = ModstampCursor.decode(cursor)
        since = state.stamp - self.overlap if state.stamp else None
        rows = self._fetch(self._soql(since, limit + len(state.seen)))
        fresh = [row for row in rows
                 if state.seen.get(str(row["Id"])) != str(row["SystemModstamp"])][:limit]
        events = [InboundEvent(
            system=SYSTEM,
            event_id=f"{self.object_name}:{row['Id']}:{row['SystemModstamp']}",
            event_type=event_type(self.object_name, row),
            occurred_at=parse_stamp(str(row["SystemModstamp"])),
            payload={"object": self.object_name, "record": strip_attributes(row)},
        ) for row in fresh]
        if not fresh:
            return ChangeBatch(events=[], cursor=cursor)
        newest = max([*(event.occurred_at for event in events),
                      *([state.stamp] if state.stamp else [])])
        horizon = newest - self.overlap
        seen = {record_id: stamp for record_id, stamp in state.seen.items()
                if parse_stamp(stamp) >= horizon}
        seen.update({str(row["Id"]): str(row["SystemModstamp"]) for row in fresh})
        return ChangeBatch(events=events, cursor=ModstampCursor(newest, seen).encode())


class ChangeFeedPoller:
    """Reads the CDC-style feed (``GET <feed>?after=<replayId>&limit=n``); the cursor is the
    last replay id handled. Events written by accord itself (``changeOrigin`` with
    ``client=<client_id>``) advance the cursor but are not returned."""

    def __init__(self, client: SalesforceClient, feed_url: str) -> None:
        self.client = client
        self.feed_url = feed_url
        self.own_origin = f";client={client.settings.client_id}"

    def _get(self, after: int, limit: int) -> dict[str, Any]:
        def once() -> dict[str, Any]:
            try:
                answer = self.client.session.get(
                    self.feed_url, params={"after": str(after), "limit": str(limit)},
                    timeout=self.client.settings.timeout_seconds)
            except requests.RequestException as exc:
                raise translate(exc) from exc
            if answer.status_code >= 500:
                raise translate_status(answer)
            if answer.status_code != 200:
                raise PermanentError(f"change feed answered {answer.status_code}",
                                     system=SYSTEM, status=answer.status_code)
            return dict(answer.json())

        return call_with_retry(once, self.client.policy, sleep=self.client._sleep)

    def initial_cursor(self) -> str | None:
        """The newest replay id now (the feed is read from its end)."""
        last: str | None = None
        after = 0
        while True:
            raw = list(self._get(after, 1000).get("events", []))
            if not raw:
                return last
            last = str(raw[-1]["replayId"])
            after = int(last)

    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        after = int(cursor) if cursor else 0
        answer = self._get(after, limit)
        raw: list[dict[str, Any]] = list(answer.get("events", []))
        if not raw:
            return ChangeBatch(events=[], cursor=cursor)
        events = []
        for item in raw:
            header = item["payload"]["ChangeEventHeader"]
            if str(header.get("changeOrigin", "")).endswith(self.own_origin):
                continue
            entity = str(header["entityName"])
            events.append(InboundEvent(
                system=SYSTEM,
                event_id=f"cdc:{header['transactionKey']}:{header['sequenceNumber']}",
                event_type=f"{entity.lower()}.{str(header['changeType']).lower()}",
                occurred_at=datetime.fromtimestamp(int(header["commitTimestamp"]) / 1000, UTC),
                payload=item["payload"],
            ))
        return ChangeBatch(events=events, cursor=str(raw[-1]["replayId"]))


def change_poller(client: SalesforceClient, object_name: str, fields: Sequence[str]
                  ) -> ChangePoller:
    """The CDC feed when ``cdc_feed_url`` is configured, else SystemModstamp polling of
    ``object_name`` with the configured overlap window."""
    settings = client.settings
    if settings.cdc_feed_url:
        return ChangeFeedPoller(client, settings.cdc_feed_url)
    return ModstampPoller(client, object_name, fields,
                          overlap=timedelta(seconds=settings.poll_overlap_seconds))


def translate_status(answer: requests.Response) -> AccordError:
    return TransientError(f"change feed answered {answer.status_code}", system=SYSTEM,
                          status=answer.status_code)


OPPORTUNITY_FIELDS = ("Id", "Name", "StageName", "IsWon", "CloseDate", "Amount",
                      "CurrencyIsoCode", "AccountId", "Account.Accord_Id__c",
                      "Contract_Term_Months__c", "Contract_Start_Date__c", "PO_Number__c",
                      "Legal_Entity__c", "Accord_Id__c", "Stripe_Subscription_Id__c",
                      "NetSuite_Sales_Order_Id__c", "SystemModstamp")
LINE_FIELDS = ("Id", "ProductCode", "Quantity", "UnitPrice", "Discount", "Description",
               "PricebookEntryId")


def closed_won_contract(client: SalesforceClient, opportunity_id: str, *,
                        customer_id: str | None = None) -> Contract:
    """Read a closed-won opportunity and its line items and map them to a canonical Contract.

    The customer is the account's ``Accord_Id__c`` unless ``customer_id`` is given."""
    if not opportunity_id.isalnum():
        raise PermanentError(f"opportunity id {opportunity_id!r} is malformed", system=SYSTEM)
    # the id was checked to be alphanumeric above, so it cannot break out of the literal
    rows = list(client.query(f"SELECT {', '.join(OPPORTUNITY_FIELDS)} FROM Opportunity "  # noqa: S608
                             f"WHERE Id = '{opportunity_id}'"))
    if not rows:
        raise PermanentError(f"opportunity {opportunity_id} not found", system=SYSTEM)
    opportunity = strip_attributes(rows[0])
    line_soql = (f"SELECT {', '.join(LINE_FIELDS)} FROM OpportunityLineItem "  # noqa: S608
                 f"WHERE OpportunityId = '{opportunity_id}' ORDER BY Id")
    lines = [strip_attributes(line) for line in client.query(line_soql)]
    account = opportunity.get("Account") or {}
    owner_id = customer_id or account.get("Accord_Id__c")
    if not owner_id:
        raise DataQualityError("Account.Accord_Id__c", "the account is not linked to an accord "
                               "customer yet", owner=Team.MASTER_DATA, system=SYSTEM)
    return opportunity_to_contract(opportunity, lines, customer_id=str(owner_id),
                                   default_legal_entity=client.settings.legal_entity)


__all__ = [
    "CLOSED_WON",
    "LINE_FIELDS",
    "OPPORTUNITY_FIELDS",
    "ChangeFeedPoller",
    "ModstampCursor",
    "ModstampPoller",
    "change_poller",
    "closed_won_contract",
    "event_type",
    "parse_stamp",
    "soql_datetime",
]
