"""The sales team working in HubSpot (a :class:`~accord.demo.sales.SalesTeam`), through the
official ``hubspot-api-client`` pointed at the account's API by its public ``host`` option
(the demo plays the customer's systems, so it does not use accord's own connector).

What a salesperson types: a company (its legal entity, VAT number and billing e-mail in the
account's custom properties), a deal associated with it, line items for published products
associated with the deal, then the deal moved to ``closedwon``. HubSpot's default deal types
are new and existing business only, so a renewal is entered as existing business with the
renewed lines.

The demo shares the account's request limits with accord (as every app of a HubSpot account
does), so the client waits out a 429 and retries, as HubSpot asks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from hubspot.crm.objects import (
    BatchInputSimplePublicObjectBatchInput,
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchReadInputSimplePublicObjectId,
    SimplePublicObjectBatchInput,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectInputForCreate,
)
from urllib3.util.retry import Retry

from accord.demo.catalog import CATALOG
from accord.demo.sales import Change
from accord.demo.scenario import AccountPlan, DealPlan
from accord.demo.seeding import Seeded
from hubspot import HubSpot

BATCH = 100
"""HubSpot's batch endpoints take 100 inputs."""
OPEN_STAGE = "contractsent"
WON_STAGE = "closedwon"
DEAL_TYPES = {Change.UPGRADE: "existingbusiness", Change.RENEWAL: "existingbusiness"}
DEAL_TO_COMPANY = 5
"""The deal's primary company (HubSpot-defined association type)."""
LINE_ITEM_TO_DEAL = 20


def _link(to_id: str, type_id: int) -> dict[str, Any]:
    return {"to": {"id": to_id},
            "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id}]}


def _chunks(items: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), BATCH):
        yield items[start:start + BATCH]


def company_properties(plan: AccountPlan) -> dict[str, str]:
    found = {"name": plan.legal_name, "domain": plan.domain, "address": "1 Market Street",
             "city": plan.city, "country": plan.country, "legal_entity": plan.legal_entity,
             "currency_code": plan.currency, "vat_number": plan.tax_id or "",
             "billing_email": plan.billing_email}
    return {key: value for key, value in found.items() if value}


def deal_properties(plan: DealPlan, *, dealtype: str = "newbusiness",
                    start: date | None = None, term_months: int | None = None,
                    name: str | None = None) -> dict[str, str]:
    begins = (start or plan.start_date).isoformat()
    return {"dealname": name or plan.name, "dealstage": OPEN_STAGE,
            "deal_currency_code": plan.currency,
            "closedate": (start or plan.close_date).isoformat(),
            "contract_term_months": str(term_months or plan.term_months),
            "contract_start_date": begins, "legal_entity": plan.legal_entity,
            "dealtype": dealtype}


class HubSpotTeam:
    system = "hubspot"
    deal_poll = "poll.hubspot.deals"

    def __init__(self, credentials: Mapping[str, str]) -> None:
        retry = Retry(total=10, backoff_factor=0.5, status_forcelist=(429, 502, 503, 504),
                      allowed_methods=None, respect_retry_after_header=True)
        self.api = HubSpot(access_token=credentials["access_token"],
                           host=credentials["base_url"], retry=retry)
        self.objects = self.api.crm.objects

    # -- writing ------------------------------------------------------------------------------
    def _create(self, kind: str, inputs: Sequence[tuple[str, dict[str, str],
                                                        list[dict[str, Any]]]]
                ) -> dict[str, str]:
        """Create records in batches: key -> id. HubSpot does not promise the results in
        the inputs' order, so each is known again by its key property's value."""
        found: dict[str, str] = {}
        key_property = {"companies": "name", "deals": "dealname"}.get(kind)
        for chunk in _chunks(inputs):
            body = BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
                SimplePublicObjectBatchInputForCreate(properties=properties,
                                                      associations=links)
                for _, properties, links in chunk])
            answer = self.objects.batch_api.create(kind, body)
            if key_property is None:
                continue
            by_value = {str(result.properties[key_property]): str(result.id)
                        for result in answer.results}
            for key, properties, _ in chunk:
                found[key] = by_value[properties[key_property]]
        return found

    def products(self, extra_skus: Sequence[str]) -> dict[str, str]:
        """SKU -> product id: the published ones, and ``extra_skus`` created if missing."""
        found: dict[str, str] = {}
        after: str | None = None
        while True:
            page = self.objects.basic_api.get_page("products", limit=100, after=after,
                                                   properties=["hs_sku"])
            found.update({str(p.properties.get("hs_sku")): str(p.id) for p in page.results
                          if p.properties.get("hs_sku")})
            after = page.paging.next.after if page.paging and page.paging.next else None
            if after is None:
                break
        for sku in extra_skus:
            if sku not in found:
                found[sku] = str(self.objects.basic_api.create(
                    "products", SimplePublicObjectInputForCreate(
                        properties={"name": sku, "hs_sku": sku})).id)
        return found

    def seed(self, accounts: Sequence[AccountPlan], deals: Sequence[DealPlan],
             extra_skus: Sequence[str], seeded: Seeded) -> None:
        products = self.products([*extra_skus, *(item.sku for item in CATALOG)])
        # a HubSpot product is one record for every currency: keyed (SKU, "")
        seeded.entries.update({(sku, ""): product for sku, product in products.items()})
        seeded.accounts.update(self._create("companies", [
            (plan.ref, company_properties(plan), []) for plan in accounts]))
        seeded.deals.update(self._create("deals", [
            (plan.ref, deal_properties(plan),
             [_link(seeded.accounts[plan.account_ref], DEAL_TO_COMPANY)]) for plan in deals]))
        self._lines([(seeded.deals[plan.ref], plan.currency,
                      [(line.sku, line.quantity, str(line.unit_price)) for line in plan.lines])
                     for plan in deals], seeded)

    def _lines(self, deals: Sequence[tuple[str, str, Sequence[tuple[str, int, str | None]]]],
               seeded: Seeded) -> None:
        self._create("line_items", [
            ("", {"hs_product_id": seeded.entries[(sku, "")], "quantity": str(quantity),
                  "hs_line_item_currency_code": currency,
                  **({"price": price} if price is not None else {})},
             [_link(deal_id, LINE_ITEM_TO_DEAL)])
            for deal_id, currency, lines in deals for sku, quantity, price in lines])

    def seed_change(self, seeded: Seeded, deal: DealPlan, *, change: Change, ref: str,
                    lines: Sequence[tuple[str, int]], start: date, term_months: int) -> None:
        properties = deal_properties(deal, dealtype=DEAL_TYPES[change], start=start,
                                     term_months=term_months,
                                     name=f"{deal.name} - {change.value}")
        created = str(self.objects.basic_api.create("deals", SimplePublicObjectInputForCreate(
            properties=properties,
            associations=[_link(seeded.accounts[deal.account_ref], DEAL_TO_COMPANY)])).id)
        prices = {line.sku: str(line.unit_price) for line in deal.lines}
        if lines:
            self._lines([(created, deal.currency,
                          [(sku, quantity, prices.get(sku)) for sku, quantity in lines])],
                        seeded)
        seeded.deals[ref] = created

    def win(self, seeded: Seeded, refs: Sequence[str]) -> None:
        """Closed won, in order (a batch update applies its inputs in order)."""
        for chunk in _chunks(list(refs)):
            self.objects.batch_api.update("deals", BatchInputSimplePublicObjectBatchInput(
                inputs=[SimplePublicObjectBatchInput(id=seeded.deals[ref],
                                                     properties={"dealstage": WON_STAGE})
                        for ref in chunk]))

    # -- reading back -------------------------------------------------------------------------
    def _written(self, seeded: Seeded, refs: Sequence[str], prop: str) -> dict[str, str]:
        by_id = {company: ref for ref, company in seeded.accounts.items() if ref in refs}
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(by_id)):
            answer = self.objects.batch_api.read("companies", BatchReadInputSimplePublicObjectId(
                inputs=[{"id": company} for company in chunk], properties=[prop]))
            for result in answer.results:
                value = result.properties.get(prop)
                if value:
                    found[by_id[str(result.id)]] = str(value)
        return found

    def billing_customers(self, seeded: Seeded) -> dict[str, str]:
        return self._written(seeded, list(seeded.accounts), "billing_customer_id")

    def canonical_ids(self, seeded: Seeded, refs: Sequence[str]) -> dict[str, str]:
        return self._written(seeded, refs, "accord_id")

    def close(self) -> None:
        """Nothing to release: the client opens a connection per call."""


__all__ = ["HubSpotTeam", "company_properties", "deal_properties"]
