"""Domain events in a CloudEvents 1.0 envelope.

The envelope follows the CloudEvents 1.0 JSON format: required ``specversion``, ``id``,
``source``, ``type``; optional ``subject``, ``time``, ``datacontenttype``, ``dataschema``;
extension attributes ``correlationid``, ``causationid`` and ``schemaversion`` (lower-case
alphanumeric names, as the spec requires).

An event about a canonical entity carries the entity's own schema version: ``schemaversion``
is the version its ``data`` was written under and ``dataschema`` names entity and version
(``urn:accord:schema:invoice:v2``). :meth:`DomainEvent.read_entity` reads the data as the
current model, upcasting an event written before a new version.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from accord.canonical.base import FIRST_VERSION, Entity
from accord.canonical.ids import EntityType, ulid
from accord.canonical.registry import ENTITIES
from accord.canonical.schema import parse_schema_uri, schema_uri
from accord.canonical.upcasting import load

TYPE_PREFIX = "dev.accord."


class EventType(StrEnum):
    """The catalogue of domain events accord's flows emit."""

    CUSTOMER_UPSERTED = "customer.upserted"
    PRODUCT_UPSERTED = "product.upserted"
    DEAL_CLOSED_WON = "deal.closed_won"
    CONTRACT_ACTIVATED = "contract.activated"
    SUBSCRIPTION_ACTIVATED = "subscription.activated"
    SUBSCRIPTION_AMENDED = "subscription.amended"
    SUBSCRIPTION_CANCELED = "subscription.canceled"
    USAGE_REPORTED = "usage.reported"
    INVOICE_FINALIZED = "invoice.finalized"
    INVOICE_POSTED = "invoice.posted"
    INVOICE_VOIDED = "invoice.voided"
    CREDIT_NOTE_ISSUED = "credit_note.issued"
    PAYMENT_RECEIVED = "payment.received"
    PAYMENT_FAILED = "payment.failed"
    PAYMENT_REFUNDED = "payment.refunded"
    INVOICE_PAID = "invoice.paid"
    CUSTOMER_CHANGED = "customer.changed"
    USAGE_RECORDED = "usage.recorded"
    PAYMENT_APPLIED = "payment.applied"
    REFUND_ISSUED = "refund.issued"
    JOURNAL_POSTED = "journal.posted"
    RECONCILIATION_DIFFERENCE = "reconciliation.difference"

    @property
    def cloudevents_type(self) -> str:
        """The reverse-DNS ``type`` attribute, e.g. ``dev.accord.invoice.posted``."""
        return TYPE_PREFIX + self.value


class DomainEvent(BaseModel):
    """A CloudEvents 1.0 event carrying one canonical fact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=ulid, min_length=1)
    source: str = Field(min_length=1, description="URI-reference of the producing component")
    type: str = Field(min_length=1)
    subject: str | None = Field(default=None, description="the canonical id the event is about")
    time: AwareDatetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    correlationid: str = Field(min_length=1, pattern=r"^[\x21-\x7e]+$")
    causationid: str | None = None
    schemaversion: str = FIRST_VERSION
    data: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def create(cls, event_type: EventType, *, source: str, subject: str | None,
               correlation_id: str, data: dict[str, Any], causation_id: str | None = None,
               entity: str | None = None) -> DomainEvent:
        """An event; ``entity`` (an entity type) when ``data`` is that entity's document,
        written under the entity's current schema version."""
        version, schema = FIRST_VERSION, None
        if entity:
            try:
                model = ENTITIES[EntityType(entity)]
            except ValueError:
                raise ValueError(f"entity: {entity!r} is not a canonical entity type") from None
            version, schema = model.schema_version, schema_uri(entity, model.schema_version)
        return cls(source=source, type=event_type.cloudevents_type, subject=subject,
                   correlationid=correlation_id, causationid=causation_id, data=data,
                   dataschema=schema, schemaversion=version)

    def read_entity(self) -> Entity:
        """The event's data as the current model of the entity its ``dataschema`` names,
        upcast from the version the event was written under."""
        if self.dataschema is None:
            raise ValueError("dataschema: the event carries no canonical entity")
        entity, version = parse_schema_uri(self.dataschema)
        if version != self.schemaversion:
            raise ValueError(f"schemaversion: {self.schemaversion} differs from the "
                             f"dataschema's version {version}")
        return load(entity, self.data, version)

    @property
    def event_type(self) -> EventType:
        if not self.type.startswith(TYPE_PREFIX):
            raise ValueError(f"type: {self.type!r} is not an accord event type")
        return EventType(self.type.removeprefix(TYPE_PREFIX))

    def to_json(self) -> str:
        """Structured-mode CloudEvents JSON."""
        return json.dumps(self.model_dump(mode="json", exclude_none=True), sort_keys=True)

    @classmethod
    def from_json(cls, text: str | bytes) -> DomainEvent:
        return cls.model_validate_json(text)


__all__ = ["TYPE_PREFIX", "DomainEvent", "EventType"]
