"""Seeding a scenario month into Salesforce: the catalog, accounts and deals, then winning
them. Used by the demo and the end-to-end tests; it writes what sales people would have
typed, nothing accord-specific, through any :class:`~accord.demo.crm.Crm`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from accord.demo.catalog import CATALOG
from accord.demo.crm import Crm
from accord.demo.scenario import AccountPlan, DealPlan, PaymentBehaviour, Scenario

CLOSED_WON_STAGE = "Closed Won"
OPEN_STAGE = "Negotiation/Review"


@dataclass
class Seeded:
    """The CRM's ids of what was seeded, by scenario reference."""

    accounts: dict[str, str] = field(default_factory=dict)
    deals: dict[str, str] = field(default_factory=dict)
    entries: dict[tuple[str, str], str] = field(default_factory=dict)
    """Price book entry per (SKU, currency)."""

    def ref_of(self, salesforce_id: str) -> str | None:
        for mapping in (self.accounts, self.deals):
            for ref, sf_id in mapping.items():
                if sf_id == salesforce_id:
                    return ref
        return None


def _ids(results: Sequence[Any]) -> list[str]:
    ids = []
    for result in results:
        if not result.success:
            raise RuntimeError(f"seeding failed: {result.error}")
        ids.append(str(result.id))
    return ids


def _chunks(items: list[dict[str, Any]], size: int = 200) -> Iterable[list[dict[str, Any]]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def seed_catalog(client: Crm, extra_skus: Iterable[str] = ()
                 ) -> dict[tuple[str, str], str]:
    """Standard price book entries per (SKU, currency): the ones the product master sync
    published are reused; the demo catalog's others (and ``extra_skus``, products sales
    sells that the SKU mapping does not know) are created as a sales admin would."""
    book = next(client.query("SELECT Id FROM Pricebook2 WHERE IsStandard = true"))["Id"]
    entries: dict[tuple[str, str], str] = {
        (str(row["ProductCode"]), str(row["CurrencyIsoCode"])): str(row["Id"])
        for row in client.query("SELECT Id, ProductCode, CurrencyIsoCode FROM PricebookEntry "
                                "WHERE Accord_Id__c != null")}
    products: list[tuple[str, str, dict[str, Any]]] = [
        (item.sku, item.name, dict(item.prices)) for item in CATALOG]
    products += [(sku, sku, {}) for sku in extra_skus]
    for sku, name, prices in products:
        if all((sku, currency) in entries for currency in ("USD", "EUR")):
            continue
        product = client.create("Product2", {"Name": name, "ProductCode": sku,
                                             "IsActive": True, "Billing_Type__c": "Recurring"})
        for currency in ("USD", "EUR"):
            entries[(sku, currency)] = client.create("PricebookEntry", {
                "Pricebook2Id": book, "Product2Id": product, "IsActive": True,
                "UnitPrice": prices.get(currency, 0), "CurrencyIsoCode": currency})
    return entries


def account_fields(plan: AccountPlan) -> dict[str, Any]:
    return {"Name": plan.legal_name, "Type": "Customer - Direct",
            "BillingStreet": "1 Market Street", "BillingCity": plan.city,
            "BillingCountry": plan.country, "Website": f"https://www.{plan.domain}",
            "CurrencyIsoCode": plan.currency, "Legal_Entity__c": plan.legal_entity,
            "VAT_Number__c": plan.tax_id, "Billing_Email__c": plan.billing_email}


def deal_fields(plan: DealPlan, account_id: str) -> dict[str, Any]:
    return {"Name": plan.name, "AccountId": account_id, "StageName": OPEN_STAGE,
            "CloseDate": plan.close_date, "CurrencyIsoCode": plan.currency,
            "Contract_Term_Months__c": plan.term_months,
            "Contract_Start_Date__c": plan.start_date, "Legal_Entity__c": plan.legal_entity,
            "Type": "New Business"}


def extra_skus(scenario: Scenario) -> list[str]:
    """SKUs the scenario's deals sell that the demo catalog does not know."""
    catalog_skus = {item.sku for item in CATALOG}
    return sorted({line.sku for deal in scenario.deals for line in deal.lines} - catalog_skus)


def seed_scenario(client: Crm, scenario: Scenario) -> Seeded:
    """Accounts, open deals with their products (not yet won)."""
    seeded = Seeded()
    seed_records(client, scenario.accounts, scenario.deals, extra_skus(scenario), seeded)
    return seeded


def seed_records(client: Crm, accounts: Sequence[AccountPlan], deals_planned: Sequence[DealPlan],
                 extra: Sequence[str], seeded: Seeded) -> None:
    """These accounts and open deals with their products, ids into ``seeded``."""
    entries = seed_catalog(client, extra)
    seeded.entries.update(entries)
    plans = list(accounts)
    for chunk_plans, chunk in zip(_plan_chunks(plans),
                                  _chunks([{k: v for k, v in account_fields(p).items()
                                            if v is not None} for p in plans]), strict=True):
        ids = _ids(client.create_many("Account", chunk, all_or_none=True))
        seeded.accounts.update({p.ref: i for p, i in zip(chunk_plans, ids, strict=True)})
    deals = list(deals_planned)
    for chunk_plans, chunk in zip(_plan_chunks(deals), _chunks(
            [deal_fields(d, seeded.accounts[d.account_ref]) for d in deals]), strict=True):
        ids = _ids(client.create_many("Opportunity", chunk, all_or_none=True))
        seeded.deals.update({d.ref: i for d, i in zip(chunk_plans, ids, strict=True)})
    lines = [{"OpportunityId": seeded.deals[deal.ref],
              "PricebookEntryId": entries[(line.sku, deal.currency)],
              "Quantity": line.quantity, "UnitPrice": line.unit_price}
             for deal in deals for line in deal.lines]
    for chunk in _chunks(lines):
        _ids(client.create_many("OpportunityLineItem", chunk, all_or_none=True))


def _plan_chunks(plans: list[Any], size: int = 200) -> Iterable[list[Any]]:
    for start in range(0, len(plans), size):
        yield plans[start:start + size]


# Test cards that attach (a decline at attach time would stop the customer's creation).
CARDS = {PaymentBehaviour.PAYS: "pm_card_visa",
         PaymentBehaviour.DECLINES_THEN_PAYS: "pm_card_chargeCustomerFail",
         PaymentBehaviour.DECLINES: "pm_card_chargeCustomerFail"}


def payment_methods(scenario: Scenario, seeded: Seeded) -> Callable[[str], str | None]:
    """Salesforce account id -> the test card its customer pays with."""
    by_account: dict[str, str] = {}
    for deal in scenario.deals:
        by_account.setdefault(seeded.accounts[deal.account_ref], CARDS[deal.payment])
    return by_account.get


def seed_change(client: Crm, seeded: Seeded, deal: DealPlan, *, kind: str,
                ref: str, lines: Sequence[tuple[str, int]], start: date,
                term_months: int) -> str:
    """An amendment (``Existing Business - Upgrade``) or ``Renewal`` opportunity on the
    deal's account, open; win it with :func:`win_deals`."""
    fields = deal_fields(deal, seeded.accounts[deal.account_ref])
    fields.update({"Name": f"{deal.name} - {kind}", "Type": kind, "CloseDate": start,
                   "Contract_Start_Date__c": start, "Contract_Term_Months__c": term_months})
    opportunity = client.create("Opportunity", fields)
    prices = {line.sku: line.unit_price for line in deal.lines}
    if lines:
        _ids(client.create_many("OpportunityLineItem", [
            {"OpportunityId": opportunity,
             "PricebookEntryId": seeded.entries[(sku, deal.currency)], "Quantity": quantity,
             **({"UnitPrice": prices[sku]} if sku in prices else {})}
            for sku, quantity in lines], all_or_none=True))
    seeded.deals[ref] = opportunity
    return opportunity


def win_deals(client: Crm, seeded: Seeded, refs: Sequence[str]) -> None:
    """Move the deals to Closed Won, in the given order."""
    records = [{"Id": seeded.deals[ref], "StageName": CLOSED_WON_STAGE} for ref in refs]
    for chunk in _chunks(records):
        _ids(client.update_many("Opportunity", chunk, all_or_none=True))


__all__ = ["CARDS", "CLOSED_WON_STAGE", "Seeded", "extra_skus", "payment_methods",
           "seed_catalog", "seed_change", "seed_records", "seed_scenario", "win_deals"]
