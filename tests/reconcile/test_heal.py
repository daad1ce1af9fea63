"""The healer registry: only missing postings are healed, by the healer of their entity and
target; a healer's accord error is a failed attempt, not a crash."""

from __future__ import annotations

from accord.engine.failures import UnknownTarget
from accord.errors import DataQualityError, Team
from accord.reconcile.differences import Difference, DifferenceKind
from accord.reconcile.heal import Healers, HealResult


def difference(kind: DifferenceKind, entity: str = "invoice", target: str = "netsuite",
               key: str = "INV-1") -> Difference:
    return Difference(kind, entity, key, "stripe", target, None, None, Team.FINANCE_OPERATIONS)


def test_only_missing_postings_reach_the_registered_healer() -> None:
    healers = Healers()
    seen: list[str] = []

    @healers.register("invoice", target="netsuite")
    def repost(found: Difference) -> HealResult:
        seen.append(found.key)
        if found.key == "INV-BAD":
            raise DataQualityError("postingPeriod", "the period is closed")
        return HealResult.REDRIVEN

    attempts = healers.heal([
        difference(DifferenceKind.MISSING_IN_TARGET),
        difference(DifferenceKind.AMOUNT_MISMATCH, key="INV-2"),
        difference(DifferenceKind.MISSING_IN_TARGET, entity="payment", key="PAY-1"),
        difference(DifferenceKind.MISSING_IN_TARGET, target="salesforce", key="INV-3"),
        difference(DifferenceKind.MISSING_IN_TARGET, key="INV-BAD"),
    ])
    assert seen == ["INV-1", "INV-BAD"]
    assert [(a.difference.key, a.result) for a in attempts] == [
        ("INV-1", HealResult.REDRIVEN), ("INV-BAD", HealResult.FAILED)]
    assert attempts[1].detail is not None
    assert "period is closed" in attempts[1].detail

    healers.unregister("invoice", target="netsuite")
    assert healers.heal([difference(DifferenceKind.MISSING_IN_TARGET)]) == []


def test_an_engine_error_is_a_failed_attempt_and_a_replaced_healer_is_restored() -> None:
    healers = Healers()

    @healers.register("invoice", target="netsuite")
    def replay_flow(found: Difference) -> HealResult:
        raise UnknownTarget(f"{found.key}: no workflow")

    def stand_in(found: Difference) -> HealResult:
        return HealResult.SKIPPED

    missing = difference(DifferenceKind.MISSING_IN_TARGET)
    [failed] = healers.heal([missing])
    assert (failed.result, failed.detail) == (HealResult.FAILED, "INV-1: no workflow")
    with healers.replaced("invoice", target="netsuite", healer=stand_in):
        assert [a.result for a in healers.heal([missing])] == [HealResult.SKIPPED]
    assert healers.healer_for(missing) is replay_flow
    with healers.replaced("payment", target="netsuite", healer=stand_in):
        pass
    assert healers.healer_for(difference(DifferenceKind.MISSING_IN_TARGET,
                                         entity="payment")) is None
