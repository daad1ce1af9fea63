"""A bundle checked against the ERPs it would post to, through the ERP role's port.

Every SKU's ERP item must exist (and be active) in every ERP instance the bundle's routing
table sends one of its legal entities to. Checked before a proposal is stored, so a mapping
to an item the ERP does not have is refused by name instead of failing postings later.
Subsidiaries and GL accounts stay with the ERP connector's own reference data (its
``verify_setup`` checks them); they are not part of the bundle yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from accord.canonical.roles import Role
from accord.errors import AccordError
from accord.flows.systems import Systems
from accord.refdata.bundle import RefdataBundle
from accord.routing import RoutingContext, route


@dataclass(frozen=True)
class Problem:
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}"


def erp_targets(bundle: RefdataBundle) -> dict[str, list[str]]:
    """ERP instance -> the legal entities the bundle's routing sends to it."""
    found: dict[str, list[str]] = {}
    for code, entity in bundle.entities.entities.items():
        try:
            chosen = route(bundle.routing, RoutingContext(legal_entity=code,
                                                          currency=entity.currency), (Role.ERP,))
            instance = chosen.target(Role.ERP)
        except AccordError as error:
            found.setdefault("", []).append(f"{code}: {error}")
            continue
        found.setdefault(instance, []).append(code)
    return found


def check_against_erps(bundle: RefdataBundle, systems: Systems) -> list[Problem]:
    """Every problem found (empty when the bundle's items all exist where they post)."""
    problems: list[Problem] = []
    for instance, entities in sorted(erp_targets(bundle).items()):
        if not instance:
            problems += [Problem("routing", reason) for reason in entities]
            continue
        if instance not in systems.instances(Role.ERP):
            problems.append(Problem("routing", f"ERP {instance} (for {', '.join(entities)}) "
                                    "is not configured here"))
            continue
        erp = systems.erp(instance)
        for sku, item in sorted(bundle.erp_items().items()):
            try:
                erp.check_item(item, sku=sku)
            except AccordError as error:
                problems.append(Problem(f"skus.skus.{sku}.erp_item",
                                        f"{item!r} in {instance}: {error.message}"))
    return problems


__all__ = ["Problem", "check_against_erps", "erp_targets"]
