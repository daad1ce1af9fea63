"""A deterministic month of commercial activity, with planted bad records.

``generate(seed, accounts, month)`` returns a :class:`Scenario`: accounts, closed-won deals
across two legal entities and currencies, amendments, renewals, usage overages, payment
behaviours (pays, declines then recovers, declines for good), a refund, and defects a person
must handle (missing tax id, unknown SKU, probable duplicate account, posting into a closed
period). The same seed always gives the same scenario, so drills can compare final state with
what the scenario expects.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from accord.demo.catalog import CATALOG, CATALOG_BY_SKU, LEGAL_ENTITIES, LegalEntity
from accord.errors import Team

USAGE_SKU = "BW-API-CALLS"


class PaymentBehaviour(StrEnum):
    PAYS = "pays"
    DECLINES_THEN_PAYS = "declines_then_pays"
    DECLINES = "declines"


# Stripe's documented test payment methods for each behaviour.
TEST_PAYMENT_METHODS = {
    PaymentBehaviour.PAYS: "pm_card_visa",
    PaymentBehaviour.DECLINES_THEN_PAYS: "pm_card_visa_chargeDeclinedInsufficientFunds",
    PaymentBehaviour.DECLINES: "pm_card_chargeDeclined",
}


class Defect(StrEnum):
    MISSING_TAX_ID = "missing_tax_id"
    UNKNOWN_SKU = "unknown_sku"
    PROBABLE_DUPLICATE = "probable_duplicate"
    CLOSED_PERIOD = "closed_period"


DEFECT_OWNERS = {
    Defect.MISSING_TAX_ID: Team.MASTER_DATA,
    Defect.UNKNOWN_SKU: Team.MASTER_DATA,
    Defect.PROBABLE_DUPLICATE: Team.MASTER_DATA,
    Defect.CLOSED_PERIOD: Team.FINANCE_OPERATIONS,
}


class AmendmentKind(StrEnum):
    QUANTITY_CHANGE = "quantity_change"
    ADD_ON = "add_on"


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class AccountPlan(Frozen):
    ref: str = Field(description="stable reference, also the account's external id")
    legal_name: str
    domain: str
    legal_entity: str
    currency: str
    country: str
    city: str
    tax_id: str | None
    billing_email: str
    defect: Defect | None = None


class LinePlan(Frozen):
    sku: str
    quantity: int
    unit_price: Decimal


class AmendmentPlan(Frozen):
    kind: AmendmentKind
    effective: date
    sku: str
    quantity: int


class UsagePlan(Frozen):
    """One usage record the product reports: units of a usage SKU (1,000 API calls over the
    plan) on a day of the subscription's first period."""

    ref: str = Field(description="the metering source's record id")
    deal_ref: str
    account_ref: str
    sku: str
    quantity: int
    occurred_on: date


class DealPlan(Frozen):
    ref: str
    account_ref: str
    name: str
    close_date: date
    start_date: date
    term_months: int
    legal_entity: str
    currency: str
    lines: tuple[LinePlan, ...]
    payment: PaymentBehaviour
    amendment: AmendmentPlan | None = None
    renewal: bool = False
    usage_units: int = 0
    refund: bool = False
    defect: Defect | None = None

    @property
    def payment_method(self) -> str:
        return TEST_PAYMENT_METHODS[self.payment]


class Scenario(Frozen):
    seed: int
    month: str
    accounts: tuple[AccountPlan, ...]
    deals: tuple[DealPlan, ...]
    closed_period: str = Field(description="the period closed before the month starts")

    def defects(self) -> list[tuple[str, Defect]]:
        """(reference, defect) for every planted bad record."""
        found = [(a.ref, a.defect) for a in self.accounts if a.defect is not None]
        found += [(d.ref, d.defect) for d in self.deals if d.defect is not None]
        return found

    def good_deals(self) -> list[DealPlan]:
        bad_accounts = {a.ref for a in self.accounts if a.defect is not None}
        return [d for d in self.deals if d.defect is None and d.account_ref not in bad_accounts]

    def usage(self) -> list[UsagePlan]:
        """The month's usage records: each good deal with a usage line reports its units in
        three records, on days 3, 10 and 17 of its first period (billed in arrears)."""
        records: list[UsagePlan] = []
        for deal in self.good_deals():
            if not deal.usage_units:
                continue
            third = deal.usage_units // 3
            for index, (quantity, day) in enumerate(
                    ((third, 3), (third, 10), (deal.usage_units - 2 * third, 17))):
                records.append(UsagePlan(
                    ref=f"{deal.ref}-U{index + 1}", deal_ref=deal.ref,
                    account_ref=deal.account_ref, sku=USAGE_SKU, quantity=quantity,
                    occurred_on=deal.start_date + timedelta(days=day)))
        return records


_WORDS = ("Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
          "Hooli", "Pied", "Vandelay", "Tyrell", "Cyberdyne", "Soylent", "Wonka", "Oscorp",
          "Aperture", "Gringotts", "Monarch", "Nakatomi", "Duff", "Krusty", "Lunar", "Polar")
_SECTORS = ("Analytics", "Logistics", "Health", "Retail", "Media", "Energy", "Robotics",
            "Finance", "Foods", "Labs", "Systems", "Travel")
_SUFFIX = {"US": "Inc.", "DE": "GmbH"}
_CITY = {"US": ("San Francisco", "Austin", "New York", "Denver"),
         "DE": ("Berlin", "Munich", "Hamburg", "Cologne")}


def _tax_id(rng: random.Random, entity: LegalEntity) -> str:
    if entity.country == "DE":
        return "DE" + "".join(str(rng.randint(0, 9)) for _ in range(9))
    return f"{rng.randint(10, 99)}-{rng.randint(1000000, 9999999)}"


def _month_start(month: str) -> date:
    year, mon = (int(part) for part in month.split("-"))
    return date(year, mon, 1)


def _previous_period(start: date) -> str:
    return (start - timedelta(days=1)).strftime("%Y-%m")


def generate(seed: int = 7, accounts: int = 200, month: str = "2026-11") -> Scenario:
    if accounts < 8:
        raise ValueError("accounts: at least 8, so every kind of defect can be planted")
    rng = random.Random(seed)
    start = _month_start(month)
    plans: list[AccountPlan] = []
    names: set[str] = set()
    for index in range(accounts):
        entity = LEGAL_ENTITIES[0] if rng.random() < 0.6 else LEGAL_ENTITIES[1]
        while True:
            base = f"{rng.choice(_WORDS)} {rng.choice(_SECTORS)}"
            if base not in names:
                break
            base = f"{base} {index}"
            if base not in names:
                break
        names.add(base)
        slug = base.lower().replace(" ", "")
        plans.append(AccountPlan(
            ref=f"ACCT-{index + 1:05d}", legal_name=f"{base} {_SUFFIX[entity.country]}",
            domain=f"{slug}.example", legal_entity=entity.code, currency=entity.currency,
            country=entity.country, city=rng.choice(_CITY[entity.country]),
            tax_id=_tax_id(rng, entity), billing_email=f"ap@{slug}.example"))

    # Planted account defects: an EU account without its VAT id (mandatory there) and a
    # probable duplicate of another account (same domain, another name, no tax id).
    eu = next(i for i, plan in enumerate(plans) if plan.country == "DE" and i not in (5, 7, 9))
    plans[eu] = plans[eu].model_copy(update={"tax_id": None, "defect": Defect.MISSING_TAX_ID})
    original = plans[5]
    plans.append(original.model_copy(update={
        "ref": f"ACCT-{accounts + 1:05d}", "tax_id": None,
        "legal_name": original.legal_name.replace(_SUFFIX[original.country], "").strip()
        + " Holdings", "billing_email": f"finance@{original.domain}",
        "defect": Defect.PROBABLE_DUPLICATE}))

    deals: list[DealPlan] = []
    for index, account in enumerate(plans):
        close = start + timedelta(days=rng.randint(0, 20))
        seats = rng.choice((5, 10, 25, 50, 100))
        lines = [LinePlan(sku="BW-PLAT-SEAT", quantity=seats,
                          unit_price=CATALOG[0].prices[account.currency])]
        if rng.random() < 0.3:
            lines.append(LinePlan(sku="BW-ANALYTICS", quantity=1,
                                  unit_price=CATALOG[1].prices[account.currency]))
        if rng.random() < 0.2:
            lines.append(LinePlan(sku="BW-ONBOARD", quantity=1,
                                  unit_price=CATALOG[3].prices[account.currency]))
        roll = rng.random()
        payment = (PaymentBehaviour.DECLINES if roll < 0.03 else
                   PaymentBehaviour.DECLINES_THEN_PAYS if roll < 0.08 else PaymentBehaviour.PAYS)

        amendment = None
        if rng.random() < 0.1:
            amendment = AmendmentPlan(kind=AmendmentKind.QUANTITY_CHANGE,
                                      effective=close + timedelta(days=rng.randint(3, 8)),
                                      sku="BW-PLAT-SEAT", quantity=seats + rng.choice((5, 10)))
        term_months = rng.choice((12, 12, 24))
        renewal = rng.random() < 0.05
        usage_units = rng.choice((0, 0, 0, 150, 400))
        if payment is not PaymentBehaviour.PAYS:
            usage_units = 0  # usage is billed on the renewal, for customers who pay
        if usage_units:
            lines.append(LinePlan(sku=USAGE_SKU, quantity=1,
                                  unit_price=CATALOG_BY_SKU[USAGE_SKU].prices[account.currency]))
        deals.append(DealPlan(
            ref=f"OPP-{index + 1:05d}", account_ref=account.ref,
            name=f"{account.legal_name} - {seats} seats", close_date=close,
            start_date=close, term_months=term_months,
            legal_entity=account.legal_entity, currency=account.currency, lines=tuple(lines),
            payment=payment, amendment=amendment, renewal=renewal,
            usage_units=usage_units, refund=False))

    # Planted deal defects and the one refund.
    deals[7] = deals[7].model_copy(update={
        "lines": (*deals[7].lines, LinePlan(sku="BW-LEGACY-GOLD", quantity=1,
                                            unit_price=Decimal("100.00"))),
        "defect": Defect.UNKNOWN_SKU})
    deals[9] = deals[9].model_copy(update={
        "close_date": start - timedelta(days=3), "start_date": start - timedelta(days=3),
        "defect": Defect.CLOSED_PERIOD})
    refundable = next(d for d in deals[10:] if d.payment is PaymentBehaviour.PAYS)
    deals[deals.index(refundable)] = refundable.model_copy(update={"refund": True})
    return Scenario(seed=seed, month=month, accounts=tuple(plans), deals=tuple(deals),
                    closed_period=_previous_period(start))


__all__ = ["DEFECT_OWNERS", "TEST_PAYMENT_METHODS", "USAGE_SKU", "AccountPlan", "AmendmentKind",
           "AmendmentPlan", "DealPlan", "Defect", "LinePlan", "PaymentBehaviour", "Scenario",
           "UsagePlan", "generate"]
