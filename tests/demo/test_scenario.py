"""The seeded month is deterministic and plants each kind of defect once."""

from __future__ import annotations

from collections import Counter

import pytest

from accord.demo.catalog import CATALOG_BY_SKU
from accord.demo.scenario import DEFECT_OWNERS, Defect, PaymentBehaviour, generate
from accord.errors import Team


def test_same_seed_same_month() -> None:
    assert generate(seed=11, accounts=40) == generate(seed=11, accounts=40)
    assert generate(seed=11, accounts=40) != generate(seed=12, accounts=40)


def test_every_defect_is_planted_once_with_an_owner() -> None:
    scenario = generate(seed=3, accounts=60)
    defects = Counter(defect for _ref, defect in scenario.defects())
    assert defects == Counter(set(Defect))
    assert DEFECT_OWNERS[Defect.CLOSED_PERIOD] is Team.FINANCE_OPERATIONS
    by_ref = {a.ref: a for a in scenario.accounts}
    missing = next(a for a in scenario.accounts if a.defect is Defect.MISSING_TAX_ID)
    assert missing.tax_id is None
    assert missing.country == "DE"
    duplicate = next(a for a in scenario.accounts if a.defect is Defect.PROBABLE_DUPLICATE)
    assert any(a.domain == duplicate.domain and a.ref != duplicate.ref for a in by_ref.values())
    unknown = next(d for d in scenario.deals if d.defect is Defect.UNKNOWN_SKU)
    assert any(line.sku not in CATALOG_BY_SKU for line in unknown.lines)
    closed = next(d for d in scenario.deals if d.defect is Defect.CLOSED_PERIOD)
    assert closed.close_date.strftime("%Y-%m") == scenario.closed_period


def test_good_deals_exclude_every_defect_and_cover_the_month() -> None:
    scenario = generate(seed=5, accounts=200)
    good = scenario.good_deals()
    assert len(good) == len(scenario.deals) - 4
    assert {d.legal_entity for d in good} == {"US01", "DE01"}
    assert {d.currency for d in good} == {"USD", "EUR"}
    behaviours = Counter(d.payment for d in good)
    assert set(behaviours) == set(PaymentBehaviour)
    assert sum(d.refund for d in scenario.deals) == 1
    assert any(d.amendment for d in good)
    assert any(d.usage_units for d in good)
    for deal in good:
        assert all(line.sku in CATALOG_BY_SKU for line in deal.lines)
        assert all(line.unit_price == CATALOG_BY_SKU[line.sku].prices[deal.currency]
                   for line in deal.lines)


def test_too_few_accounts_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="accounts: at least 8"):
        generate(accounts=3)
