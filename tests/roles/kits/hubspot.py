"""HubSpot's kit for the role conformance suite: its sandbox, and winning a deal or reading
properties with ``hubspot-api-client``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord.canonical.money import Money
from accord.connectors.hubspot import CONNECTOR
from hubspot import HubSpot
from tests.hubspot.deals import win_deal
from tests.roles.kit import SandboxKit

OBJECTS = {"account": "companies", "deal": "deals"}


@dataclass
class HubSpotKit:
    sandbox: SandboxKit
    client: HubSpot

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def won_deal(self, *, sku: str, quantity: int, unit_price: Money, legal_entity: str,
                 name: str, billing_email: str | None = "billing@example.com") -> str:
        return win_deal(self.client, sku=sku, quantity=quantity, unit_price=unit_price,
                        legal_entity=legal_entity, name=name, billing_email=billing_email)

    def fields(self, record: str, record_id: str, names: list[str]) -> dict[str, Any]:
        found = self.client.crm.objects.basic_api.get_by_id(OBJECTS[record], record_id,
                                                            properties=names)
        return {name: found.properties.get(name) for name in names}

    def stop(self) -> None:
        self.sandbox.stop()


def start(directory: Path) -> HubSpotKit:
    sandbox = SandboxKit.start(CONNECTOR, directory)
    credentials = sandbox.credentials
    return HubSpotKit(sandbox, HubSpot(access_token=credentials["access_token"],
                                       host=credentials["base_url"]))
