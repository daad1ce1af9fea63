"""Planning a schedule: ratable daily over the inclusive service period with the remainder
placed deterministically, point in time, and re-planning what is left after a change."""

from __future__ import annotations

from datetime import date

import pytest

from accord.revenue.planning import (
    PlannedEntry,
    Share,
    apportion,
    carry_forward,
    days_by_month,
    point_in_time,
    ratable,
    replan,
)


def test_a_year_is_spread_by_days_and_sums_exactly() -> None:
    shares = ratable(1_000_000, date(2027, 1, 15), date(2028, 1, 14))
    assert (shares[0].period, shares[-1].period) == ("2027-01", "2028-01")
    assert sum(share.minor for share in shares) == 1_000_000
    days = dict(days_by_month(date(2027, 1, 15), date(2028, 1, 14)))
    assert (days["2027-01"], days["2027-02"], days["2028-01"]) == (17, 28, 14)
    assert sum(days.values()) == 365
    # each month is within one minor unit of its exact daily share
    for share in shares:
        assert abs(share.minor * 365 - 1_000_000 * days[share.period]) < 365


def test_remainders_go_to_the_largest_fractions_then_the_earliest() -> None:
    assert apportion(10, [("a", 1), ("b", 1), ("c", 1)]) == [
        Share("a", 4), Share("b", 3), Share("c", 3)]
    assert apportion(-10, [("a", 1), ("b", 1), ("c", 1)]) == [
        Share("a", -4), Share("b", -3), Share("c", -3)]
    # the same input always gives the same plan
    assert ratable(100, date(2027, 1, 1), date(2027, 3, 31)) == \
        ratable(100, date(2027, 1, 1), date(2027, 3, 31))
    assert ratable(100, date(2027, 1, 1), date(2027, 3, 31)) == [
        Share("2027-01", 35), Share("2027-02", 31), Share("2027-03", 34)]  # 34.44, 31.11, 34.44


def test_a_single_day_and_a_point_in_time() -> None:
    assert ratable(999, date(2027, 2, 28), date(2027, 2, 28)) == [Share("2027-02", 999)]
    assert point_in_time(1500, date(2027, 5, 31)) == [Share("2027-05", 1500)]
    with pytest.raises(ValueError, match="service_period"):
        days_by_month(date(2027, 2, 2), date(2027, 2, 1))


def test_replan_spreads_what_is_left_from_the_first_open_period() -> None:
    plan = ratable(120_000, date(2027, 1, 1), date(2027, 12, 31))
    entries = [PlannedEntry(share.period, share.minor, share.period < "2027-05")
               for share in plan]
    recognized = sum(entry.minor for entry in entries if entry.recognized)
    shares = replan(entries, 120_000 - 30_000, open_from="2027-05",
                    service_end=date(2027, 12, 31))
    assert [share.period for share in shares] == [f"2027-{m:02d}" for m in range(5, 13)]
    assert recognized + sum(share.minor for share in shares) == 90_000


def test_replan_puts_a_negative_rest_or_an_ended_service_in_the_open_period() -> None:
    entries = [PlannedEntry("2027-01", 600, True), PlannedEntry("2027-02", 400, False)]
    assert replan(entries, 500, open_from="2027-02", service_end=date(2027, 2, 28)) == [
        Share("2027-02", -100)]
    assert replan(entries, 900, open_from="2027-04", service_end=date(2027, 2, 28)) == [
        Share("2027-04", 300)]
    assert replan(entries, 600, open_from="2027-02", service_end=date(2027, 2, 28)) == []


def test_periods_already_recognized_move_to_the_first_open_one() -> None:
    shares = [Share("2027-01", 10), Share("2027-02", 20), Share("2027-03", 30)]
    assert carry_forward(shares, "2027-03") == [Share("2027-03", 60)]
    assert carry_forward(shares, None) == shares


def test_replan_does_not_spread_before_the_service_starts() -> None:
    entries = [PlannedEntry(share.period, share.minor, False)
               for share in ratable(3000, date(2027, 1, 16), date(2027, 3, 15))]
    shares = replan(entries, 1500, open_from="2027-01", service_start=date(2027, 1, 16),
                    service_end=date(2027, 3, 15))
    assert shares == ratable(1500, date(2027, 1, 16), date(2027, 3, 15))
