"""Winning a deal in HubSpot as a salesperson would, with ``hubspot-api-client``: a company,
a deal associated with it, a billing contact, a line item for a published product, then the
deal moved to the ``closedwon`` stage."""

from __future__ import annotations

from datetime import UTC, datetime

from hubspot.crm.objects import (
    PublicObjectSearchRequest,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)

from accord.canonical.money import Money
from hubspot import HubSpot

PRIMARY_COMPANY = [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]


def product_id(client: HubSpot, sku: str) -> str | None:
    """The product published with ``sku``, if any."""
    found = client.crm.objects.search_api.do_search("products", PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "hs_sku", "operator": "EQ",
                                     "value": sku}]}], limit=1)).results
    return str(found[0].id) if found else None


def contact_with(client: HubSpot, email: str) -> str:
    """The contact with ``email`` (an email is unique among contacts), made if new."""
    objects = client.crm.objects
    found = objects.search_api.do_search("contacts", PublicObjectSearchRequest(
        filter_groups=[{"filters": [{"propertyName": "email", "operator": "EQ",
                                     "value": email}]}], limit=1)).results
    if found:
        return str(found[0].id)
    return str(objects.basic_api.create("contacts", SimplePublicObjectInputForCreate(
        properties={"email": email, "firstname": "Accounts", "lastname": "Payable"})).id)


def win_deal(client: HubSpot, *, sku: str, quantity: int, unit_price: Money,
             legal_entity: str, name: str,
             billing_email: str | None = "billing@example.com") -> str:
    """A new company and a deal for ``quantity`` of ``sku``, won; the deal's id."""
    objects = client.crm.objects
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
    links = client.crm.associations.v4.basic_api
    if billing_email:
        contact = contact_with(client, billing_email)
        links.create_default("deals", deal, "contacts", contact)
        links.create_default("contacts", contact, "companies", company)
    product = product_id(client, sku)
    assert product is not None, f"{sku} is not published to HubSpot"
    line = create("line_items", SimplePublicObjectInputForCreate(properties={
        "hs_product_id": product, "quantity": str(quantity), "price": str(unit_price.amount),
        "hs_line_item_currency_code": unit_price.currency})).id
    links.create_default("deals", deal, "line_items", line)
    objects.basic_api.update("deals", deal, SimplePublicObjectInput(
        properties={"dealstage": "closedwon"}))
    return str(deal)


__all__ = ["contact_with", "product_id", "win_deal"]
