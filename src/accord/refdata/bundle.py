"""The reference-data bundle: one validated document of every mapping the flows read."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from pydantic import BaseModel, ConfigDict

from accord.flows.entities import LegalEntities, load_entities
from accord.flows.skus import SkuMapping, load_skus
from accord.registry.ownership import OwnershipPolicy, load_policy
from accord.routing import RoutingTable, load_routing

SECTIONS = ("skus", "entities", "routing", "policy")


class RefdataBundle(BaseModel):
    """SKU mapping, legal entities, routing table and ownership policy, as one version."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    skus: SkuMapping
    entities: LegalEntities
    routing: RoutingTable
    policy: OwnershipPolicy

    @classmethod
    def from_files(cls) -> RefdataBundle:
        """The shipped files (and the configured routing table): version 1."""
        return cls(skus=load_skus(), entities=load_entities(), routing=load_routing(),
                   policy=load_policy())

    def document(self) -> dict[str, Any]:
        """The bundle as JSON-safe data (amounts as strings, never floats)."""
        return self.model_dump(mode="json")

    def digest(self) -> str:
        """SHA-256 of the canonical JSON of the document: equal bundles, equal digests."""
        text = json.dumps(self.document(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def check_references(self) -> None:
        """References inside the bundle hold: every SKU has a list price in the currency of
        every legal entity it can be sold from. Raises ValueError naming the field."""
        for sku, entry in self.skus.skus.items():
            for code, entity in self.entities.entities.items():
                if entity.currency not in entry.prices:
                    raise ValueError(f"skus.skus.{sku}.prices: no {entity.currency} price, the "
                                     f"currency of legal entity {code}")

    def erp_items(self) -> dict[str, str]:
        """SKU -> the ERP item key it posts as."""
        return {sku: entry.erp_item for sku, entry in self.skus.skus.items()}


__all__ = ["SECTIONS", "RefdataBundle"]
