"""The ownership policy: which system owns each field of each entity, per lifecycle stage.

Policies are versioned TOML files (``policies/default.v1.toml``); a deployment may point
``[registry] ownership_policy`` at its own file. Lookup order for a field: the stage's field
rule, the stage's default, the entity's field rule, the entity's default.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from accord.canonical.ids import EntityType

DEFAULT_POLICY = Path(__file__).parent / "policies" / "default.v1.toml"


class StageRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    default_owner: str | None = None
    fields: dict[str, str] = Field(default_factory=dict)


class EntityRules(StageRules):
    stages: dict[str, StageRules] = Field(default_factory=dict)


class OwnershipPolicy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    entities: dict[EntityType, EntityRules]

    def owner_of(self, entity_type: EntityType, field: str, stage: str | None = None) -> str | None:
        rules = self.entities.get(entity_type)
        if rules is None:
            return None
        staged = rules.stages.get(stage) if stage else None
        if staged is not None:
            if field in staged.fields:
                return staged.fields[field]
            if staged.default_owner:
                return staged.default_owner
        return rules.fields.get(field, rules.default_owner)

    def owns(self, system: str, entity_type: EntityType, field: str,
             stage: str | None = None) -> bool:
        """True when ``system`` (or the system it is an instance of) owns the field."""
        owner = self.owner_of(entity_type, field, stage)
        return owner is not None and (system == owner or system.startswith(owner + "-"))


def load_policy(path: Path | None = None) -> OwnershipPolicy:
    source = path or DEFAULT_POLICY
    return OwnershipPolicy.model_validate(tomllib.loads(source.read_text(encoding="utf-8")))


__all__ = ["DEFAULT_POLICY", "EntityRules", "OwnershipPolicy", "StageRules", "load_policy"]
