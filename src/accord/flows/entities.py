"""Legal entities: which ones exist, their currency and the tax they charge (enrichment)."""

from __future__ import annotations

import tomllib
from decimal import Decimal
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from accord.errors import DataQualityError, Team

DEFAULT_ENTITIES = Path(__file__).parent / "entities.toml"


class LegalEntity(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    country: str
    currency: str
    tax_rate: Decimal
    tax_jurisdiction: str
    tax_id_required: bool = False


class LegalEntities(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: str
    entities: dict[str, LegalEntity]

    def get(self, code: str | None, field: str = "legal_entity") -> LegalEntity:
        found = self.entities.get(code or "")
        if found is None:
            raise DataQualityError(field, f"legal entity {code!r} is not known",
                                   owner=Team.MASTER_DATA)
        return found


def load_entities(path: Path | None = None) -> LegalEntities:
    text = (path or DEFAULT_ENTITIES).read_text("utf-8")
    return LegalEntities.model_validate(tomllib.loads(text))


__all__ = ["DEFAULT_ENTITIES", "LegalEntities", "LegalEntity", "load_entities"]
