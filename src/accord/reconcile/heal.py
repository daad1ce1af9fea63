"""Healing: re-drive what reconciliation found missing through the normal flows.

Reconciliation never writes to a system itself. A flow that can (re)post an entity registers
a *healer* for it here; ``accord reconcile --heal`` hands each healable difference to its
healer, which starts the flow (with the flow's own idempotency keys, xref links and
exception handling), then re-runs the comparison to confirm. Differences without a healer
stay open for their owner.

    @HEALERS.register("invoice", target="netsuite")
    def repost_invoice(difference: Difference) -> HealResult:
        start_flow(invoice_to_erp, FlowInput(...))
        return HealResult.REDRIVEN
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol

from accord.connectors.registry import connector_for
from accord.engine.failures import EngineError
from accord.errors import AccordError
from accord.reconcile.differences import Difference, DifferenceKind

HEALABLE = frozenset({DifferenceKind.MISSING_IN_TARGET})


class HealResult(StrEnum):
    REDRIVEN = "redriven"  # the flow ran (or was started) for the record
    SKIPPED = "skipped"  # the healer declined (e.g. the source is not postable yet)
    FAILED = "failed"  # the flow refused; its own exception says why


class Healer(Protocol):
    def __call__(self, difference: Difference) -> HealResult: ...


@dataclass(frozen=True)
class HealAttempt:
    difference: Difference
    result: HealResult
    detail: str | None = None


@dataclass
class Healers:
    """Healers by (entity, target): a system instance, or the role every instance of it
    plays (a healer for the ERP role heals what any ERP lacks)."""

    _healers: dict[tuple[str, str], Healer] = field(default_factory=dict)

    def register(self, entity: str, *, target: str) -> Callable[[Healer], Healer]:
        def add(healer: Healer) -> Healer:
            self._healers[(entity, target)] = healer
            return healer

        return add

    def unregister(self, entity: str, *, target: str) -> None:
        self._healers.pop((entity, target), None)

    @contextmanager
    def replaced(self, entity: str, *, target: str, healer: Healer) -> Iterator[None]:
        """``healer`` in place of the registered one while the block runs."""
        before = self._healers.get((entity, target))
        self._healers[(entity, target)] = healer
        try:
            yield
        finally:
            if before is None:
                self.unregister(entity, target=target)
            else:
                self._healers[(entity, target)] = before

    def healer_for(self, difference: Difference) -> Healer | None:
        if difference.kind not in HEALABLE:
            return None
        found = self._healers.get((difference.entity, difference.target_system))
        if found is None:
            definition = connector_for(difference.target_system)
            if definition is not None:
                found = self._healers.get((difference.entity, definition.kind.value))
        return found

    def heal(self, differences: Iterable[Difference]) -> list[HealAttempt]:
        attempts = []
        for difference in differences:
            healer = self.healer_for(difference)
            if healer is None:
                continue
            try:
                attempts.append(HealAttempt(difference, healer(difference)))
            except (AccordError, EngineError) as error:
                attempts.append(HealAttempt(difference, HealResult.FAILED, str(error)))
        return attempts


HEALERS = Healers()
"""The process-wide registry flows register their healers with."""

__all__ = ["HEALABLE", "HEALERS", "HealAttempt", "HealResult", "Healer", "Healers"]
