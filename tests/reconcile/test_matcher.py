"""Record-level matching reports each planted difference once, with class and owner."""

from __future__ import annotations

from accord.canonical import Money
from accord.errors import Team
from accord.reconcile import DifferenceKind, RecordView, compare


def usd(amount: str) -> Money:
    return Money.of(amount, "USD")


def test_each_kind_of_difference_is_reported_exactly_once() -> None:
    source = [
        RecordView("INV-1", "in_1", usd("100.00"), "paid"),     # matches
        RecordView("INV-2", "in_2", usd("50.00"), "open"),      # missing in target
        RecordView("INV-3", "in_3", usd("75.00"), "open"),      # posted twice
        RecordView("INV-4", "in_4", usd("20.00"), "open"),      # amount altered
        RecordView("INV-5", "in_5", usd("30.00"), "open"),      # currency changed
        RecordView("INV-6", "in_6", usd("40.00"), "paid"),      # status differs
    ]
    target = [
        RecordView("INV-1", "101", usd("100.00"), "paidInFull"),
        RecordView("INV-3", "103", usd("75.00"), "open"),
        RecordView("INV-3", "113", usd("75.00"), "open"),
        RecordView("INV-4", "104", usd("21.00"), "open"),
        RecordView("INV-5", "105", Money.of("30.00", "EUR"), "open"),
        RecordView("INV-6", "106", usd("40.00"), "open"),
        RecordView("INV-9", "109", usd("9.99"), "open"),        # orphan
    ]
    found = list(compare(source, target, entity="invoice", source_system="stripe",
                         target_system="netsuite",
                         status_map={"paid": "paidInFull", "open": "open"}))
    assert [(d.key, d.kind) for d in found] == [
        ("INV-2", DifferenceKind.MISSING_IN_TARGET),
        ("INV-3", DifferenceKind.DUPLICATE_IN_TARGET),
        ("INV-4", DifferenceKind.AMOUNT_MISMATCH),
        ("INV-5", DifferenceKind.CURRENCY_MISMATCH),
        ("INV-6", DifferenceKind.STATUS_MISMATCH),
        ("INV-9", DifferenceKind.ORPHAN),
    ]
    by_key = {d.key: d for d in found}
    assert by_key["INV-2"].owner is Team.INTEGRATION_ENGINEERING
    assert by_key["INV-4"].owner is Team.FINANCE_OPERATIONS
    assert (by_key["INV-4"].expected, by_key["INV-4"].actual) == ("20.00 USD", "21.00 USD")
    assert by_key["INV-3"].target_ids == ("103", "113")
    assert by_key["INV-3"].describe() == (
        "invoice INV-3 (stripe -> netsuite): 2 records in netsuite: 103, 113")
    assert by_key["INV-6"].describe() == (
        "invoice INV-6 (stripe -> netsuite): status paidInFull in source, open in target")
    assert len({d.fingerprint for d in found}) == 6


def test_identical_streams_have_no_differences_and_zero_decimal_currencies_work() -> None:
    records = [RecordView(f"K{i:05d}", f"id{i}", Money.of(i * 100, "JPY")) for i in range(3000)]
    assert list(compare(iter(records), iter(records), entity="payment", source_system="stripe",
                        target_system="netsuite")) == []


def test_a_status_the_target_does_not_keep_is_not_compared_and_ids_travel() -> None:
    source = [RecordView("sub_1", "sub_1", status="past_due"),
              RecordView("sub_2", "sub_2", status="active"),
              RecordView("CUS-1", "001A", refs=("006B", "006A"))]
    target = [RecordView("sub_1", "006X"),  # a deal: no subscription status kept
              RecordView("sub_2", "800Y", status="Canceled")]
    found = list(compare(source, target, entity="subscription", source_system="stripe",
                         target_system="salesforce",
                         status_map={"past_due": "Past Due", "active": "Active"}))
    assert [(d.key, d.kind) for d in found] == [
        ("CUS-1", DifferenceKind.MISSING_IN_TARGET), ("sub_2", DifferenceKind.STATUS_MISMATCH)]
    missing, status = found
    assert (missing.source_ids, missing.source_refs, missing.target_ids) == (
        ("001A",), ("006A", "006B"), ())
    assert missing.refs == ("CUS-1", "001A", "006A", "006B")
    assert (status.source_ids, status.target_ids) == (("sub_2",), ("800Y",))
