"""HubSpot's kit for the role conformance suite: its sandbox, and winning a deal or reading
properties with ``hubspot-api-client``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hubspot.crm.objects import (
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from accord.canonical.money import Money
from accord.connectors.hubspot import CONNECTOR
from hubspot import HubSpot
from tests.roles.kit import SandboxKit

OBJECTS = {"account": "companies", "deal": "deals"}
PRIMARY_COMPANY = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]


@dataclass
class HubSpotKit:
    sandbox: SandboxKit
    client: HubSpot

    @property
    def settings(self) -> dict[str, object]:
        return dict(self.sandbox.settings)

    def won_deal(self, *, sku: str, quantity: int, unit_price: Money, legal_entity: str,
                 name: str, billing_email: str | None = "billing@example.com") -> str:
        objects = self.client.crm.objects
        create = objects.basic_api.create
        company = create("companies", SimplePublicObjectInputForCreate(properties={
            "name": f"{name} Inc.", "domain": f"{name.lower()}.example",
            "address": "1 Main Street", "city": "Austin", "country": "US",
            "legal_entity": legal_entity})).id
        today = datetime.now(UTC).date().isoformat()
        deal = create("deals", SimplePublicObjectInputForCreate(
            properties={"dealname": f"{name} - platform", "dealstage": "contractsent",
                        "deal_currency_code": unit_price.currency, "closedate": today,
                        "contract_term_months": "12", "contract_start_date": today,
                        "legal_entity": legal_entity, "dealtype": "newbusiness"},
            associations=[{"to": {"id": company}, "types": PRIMARY_COMPANY}])).id
        links = self.client.crm.associations.v4.basic_api
        if billing_email:
            contact = self.contact(billing_email)
            links.create_default("deals", deal, "contacts", contact)
            links.create_default("contacts", contact, "companies", company)
        product = objects.search_api.do_search("products", PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "hs_sku", "operator": "EQ",
                                         "value": sku}]}], limit=1)).results[0]
        line = create("line_items", SimplePublicObjectInputForCreate(properties={
            "hs_product_id": product.id, "quantity": str(quantity),
            "price": str(unit_price.amount),
            "hs_line_item_currency_code": unit_price.currency})).id
        links.create_default("deals", deal, "line_items", line)
        objects.basic_api.update("deals", deal, SimplePublicObjectInput(
            properties={"dealstage": "closedwon"}))
        return str(deal)

    def contact(self, email: str) -> str:
        """The contact with ``email`` (an email is unique among contacts), made if new."""
        objects = self.client.crm.objects
        found = objects.search_api.do_search("contacts", PublicObjectSearchRequest(
            filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ",
                                         "value": email}]}], limit=1)).results
        if found:
            return str(found[0].id)
        return str(objects.basic_api.create("contacts", SimplePublicObjectInputForCreate(
            properties={"email": email, "firstname": "Accounts",
                        "lastname": "Payable"})).id)

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
