"""HubSpot: customers and subscriptions through the search API.

Customers are the companies that won a deal (a prospect is not expected in billing): the
won deals are searched (``dealstage = closedwon``), each one's company read through its
association, one record per company keyed by its ``accord_id`` (or xref), its won deals as
related references and its currency the company's (else its first won deal's).
Subscriptions are the won deals carrying the subscription id accord wrote back
(``billing_subscription_id``), one record per subscription however many deals amend it; a
deal keeps no subscription status, so none is compared. HubSpot holds no financial
documents, so it contributes no totals.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from accord.canonical.ids import EntityType
from accord.canonical.reconciliation import Contribution, Entity, RecordView
from accord.canonical.record_keys import KeyResolver, NoKeys, keyed
from accord.connectors.hubspot.client import HubSpotClient
from accord.connectors.hubspot.errors import SYSTEM
from accord.connectors.hubspot.mapping import WON_STAGE, canonical_id

WON = {"propertyName": "dealstage", "operator": "EQ", "value": WON_STAGE}


class HubSpotReader:
    def __init__(self, client: HubSpotClient, *, keys: KeyResolver | None = None,
                 system: str = SYSTEM) -> None:
        self.client = client
        self.keys = keys or NoKeys()
        self.system = system

    def records(self, entity: Entity) -> Iterator[RecordView]:
        if entity is Entity.CUSTOMER:
            for key, row in keyed(self.won_companies(), self.keys, system=self.system,
                                  entity=EntityType.CUSTOMER, system_id=lambda r: str(r["id"]),
                                  carried=canonical_id):
                yield RecordView(key, str(row["id"]), currency=row.get("currency"),
                                 refs=tuple(row["deals"]))
        elif entity is Entity.SUBSCRIPTION:
            deals = sorted(self.client.search(
                "deals", [WON, {"propertyName": "billing_subscription_id",
                                "operator": "HAS_PROPERTY"}],
                ["billing_subscription_id"]),
                key=lambda r: (str(r["billing_subscription_id"]), int(r["id"])))
            for subscription, rows in groupby(deals, key=lambda r: str(
                    r["billing_subscription_id"])):
                ids = [str(row["id"]) for row in rows]
                yield RecordView(subscription, ids[0], refs=tuple(ids[1:]))

    def won_companies(self) -> Iterator[dict[str, Any]]:
        """Each company with a won deal, once, with its won deals' ids under ``deals``."""
        by_company: dict[str, dict[str, Any]] = {}
        for deal in self.client.search("deals", [WON], ["deal_currency_code"]):
            companies = self.client.associated("deals", str(deal["id"]), "companies")
            if not companies:
                continue
            found = by_company.setdefault(companies[0], {
                "id": companies[0], "deals": [], "currency": deal.get("deal_currency_code")})
            found["deals"].append(str(deal["id"]))
        for company_id in sorted(by_company, key=int):
            row = by_company[company_id]
            company = self.client.read("companies", company_id, ["accord_id", "currency_code"])
            row["accord_id"] = company.get("accord_id")
            row["currency"] = company.get("currency_code") or row["currency"]
            yield row

    def contributions(self) -> Iterator[Contribution]:
        return iter(())


__all__ = ["HubSpotReader"]
