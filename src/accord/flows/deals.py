"""A won deal checked against accord's reference data: its legal entity known, a tax
registration where the entity needs one, every product code in the SKU mapping, the
entity's currency. Each problem is a :class:`DataQualityError` naming the CRM's field (the
deal says where each fact came from) and the team that fixes it."""

from __future__ import annotations

from dataclasses import dataclass

from accord.canonical.deals import Deal
from accord.errors import DataQualityError, Team
from accord.flows.entities import LegalEntities, LegalEntity
from accord.flows.skus import SkuMapping


@dataclass(frozen=True)
class Order:
    """A validated, enriched deal: who buys what, from which legal entity."""

    deal: Deal
    entity: LegalEntity


def validate(deal: Deal, *, skus: SkuMapping, entities: LegalEntities) -> Order:
    legal_entity = deal.contract.legal_entity
    entity = entities.get(legal_entity, deal.field("legal_entity"))
    if entity.tax_id_required and not deal.customer.tax_profile.registrations:
        raise DataQualityError(deal.field("tax_id"), f"a tax registration is mandatory for "
                               f"customers of {legal_entity}", owner=Team.MASTER_DATA)
    for index, line in enumerate(deal.contract.lines):
        skus.entry(line.product_sku, deal.field(f"line.{index}.sku"))
    if deal.contract.currency != entity.currency or deal.customer.currency != entity.currency:
        raise DataQualityError(deal.field("currency"), f"{legal_entity} sells in "
                               f"{entity.currency}, the deal is in {deal.contract.currency}",
                               owner=Team.REVENUE_OPERATIONS)
    return Order(deal=deal, entity=entity)


__all__ = ["Order", "validate"]
