"""The sandbox's records: Stripe objects by collection, idempotency results, test cards.

Objects are kept in their wire form (the JSON Stripe returns), because that is what the
sandbox serves; anything only the sandbox needs (how a test card behaves, idempotency
fingerprints) is kept in typed records beside them. One re-entrant lock guards every change,
so the store is consistent under concurrent requests.
"""

from __future__ import annotations

import copy
import itertools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

from accord.sandboxes.stripe.errors import StripeApiError, no_such

StripeObject = dict[str, Any]


@dataclass(frozen=True)
class CardProfile:
    """How a test card behaves when charged (``decline_code`` None means it succeeds)."""

    brand: str
    last4: str
    error_code: str | None = None
    decline_code: str | None = None
    message: str = ""
    fails_on_attach: bool = False
    funding: str = "credit"

    @property
    def declines(self) -> bool:
        return self.error_code is not None


@dataclass(frozen=True)
class MeterEvent:
    """One reported usage event (``POST /v1/billing/meter_events``)."""

    event_name: str
    customer: str
    value: str
    timestamp: int
    identifier: str


@dataclass(frozen=True)
class SavedResponse:
    """The first answer to an idempotent request, replayed for the same key."""

    fingerprint: str
    status: int
    body: bytes
    request_id: str = ""


@dataclass
class Store:
    lock: threading.RLock = field(default_factory=threading.RLock)
    collections: dict[str, dict[str, StripeObject]] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)
    cards: dict[str, CardProfile] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], SavedResponse] = field(default_factory=dict)
    invoice_numbers: dict[str, int] = field(default_factory=dict)
    webhook_secrets: dict[str, str] = field(default_factory=dict)
    meter_events: list[MeterEvent] = field(default_factory=list)
    private: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Facts the sandbox needs about an object but Stripe does not send (an invoice's
    ``days_until_due``, a line's tax rates, a tax rate's exact percentage), by object id."""
    listeners: list[Callable[[StripeObject], None]] = field(default_factory=list)
    _sequence: Iterator[int] = field(default_factory=itertools.count)

    @contextmanager
    def locked(self) -> Iterator[None]:
        with self.lock:
            yield

    @contextmanager
    def atomic(self, *, keep_declines: bool = True) -> Iterator[None]:
        """All or nothing: a request refused part-way leaves the store as it was. With
        ``keep_declines`` a card decline (402) keeps what it did, as Stripe records the failed
        charge and payment attempt."""
        with self.lock:
            saved = self.snapshot()
            try:
                yield
            except StripeApiError as error:
                if error.status != 402 or not keep_declines:
                    self.restore(saved)
                raise

    # -- records --------------------------------------------------------------------------
    def insert(self, obj: StripeObject) -> StripeObject:
        with self.lock:
            self.collections.setdefault(obj["object"], {})[obj["id"]] = obj
            self.order[obj["id"]] = next(self._sequence)
        return obj

    def find(self, collection: str, object_id: str) -> StripeObject | None:
        with self.lock:
            return self.collections.get(collection, {}).get(object_id)

    def get(self, collection: str, object_id: str, *, param: str | None = "id",
            status: int = 404) -> StripeObject:
        found = self.find(collection, object_id)
        if found is None or found.get("deleted"):
            kind = collection.rsplit(".", 1)[-1].replace("_", " ")
            raise no_such(kind, object_id, param=param, status=status)
        return found

    def all(self, collection: str) -> list[StripeObject]:
        """Newest first, as Stripe lists."""
        with self.lock:
            items = [obj for obj in self.collections.get(collection, {}).values()
                     if not obj.get("deleted")]
        return sorted(items, key=lambda obj: (obj.get("created", 0), self.order[obj["id"]]),
                      reverse=True)

    def remove(self, collection: str, object_id: str) -> None:
        with self.lock:
            self.collections.get(collection, {}).pop(object_id, None)

    def next_invoice_number(self, prefix: str) -> str:
        with self.lock:
            number = self.invoice_numbers.get(prefix, 0) + 1
            self.invoice_numbers[prefix] = number
        return f"{prefix}-{number:04d}"

    # -- persistence ------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return copy.deepcopy({
                "collections": self.collections,
                "order": self.order,
                "cards": {pm: asdict(profile) for pm, profile in self.cards.items()},
                "idempotency": [[owner, key, saved.fingerprint, saved.status,
                                 saved.body.decode(), saved.request_id]
                                for (owner, key), saved in self.idempotency.items()],
                "invoice_numbers": self.invoice_numbers,
                "webhook_secrets": self.webhook_secrets,
                "meter_events": [asdict(event) for event in self.meter_events],
                "private": self.private,
            })

    def restore(self, data: dict[str, Any]) -> None:
        with self.lock:
            self.collections = copy.deepcopy(data["collections"])
            self.order = dict(data["order"])
            self.cards = {pm: CardProfile(**profile) for pm, profile in data["cards"].items()}
            self.idempotency = {
                (entry[0], entry[1]): SavedResponse(entry[2], entry[3], entry[4].encode(),
                                                    *entry[5:6])
                for entry in data["idempotency"]}
            self.invoice_numbers = dict(data["invoice_numbers"])
            self.webhook_secrets = dict(data["webhook_secrets"])
            self.meter_events = [MeterEvent(**event) for event in data.get("meter_events", [])]
            self.private = copy.deepcopy(data.get("private", {}))
            self._sequence = itertools.count(max(self.order.values(), default=-1) + 1)

    # -- control plane --------------------------------------------------------------------
    def reset(self) -> None:
        with self.lock:
            self.collections.clear()
            self.order.clear()
            self.cards.clear()
            self.idempotency.clear()
            self.invoice_numbers.clear()
            self.webhook_secrets.clear()
            self.meter_events.clear()
            self.private.clear()

    def note(self, object_id: str) -> dict[str, Any]:
        """The private facts kept about one object (created empty on first use)."""
        with self.lock:
            return self.private.setdefault(object_id, {})

    def dump(self) -> dict[str, Any]:
        with self.lock:
            return {name: copy.deepcopy(list(items.values()))
                    for name, items in sorted(self.collections.items())}
