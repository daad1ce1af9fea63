"""accord's Stripe client: the official ``stripe`` package under accord's retry and limits.

* Transport is ``stripe.StripeClient`` (no hand-rolled HTTP), with its own network retries
  off (``max_network_retries=0``): accord's :func:`call_with_retry` retries instead, so 429
  (with ``Retry-After``) and ``Stripe-Should-Retry`` are honoured through the error table.
* Every create sends an idempotency key derived from the canonical id and the action, so a
  retried or replayed create never makes a second object.
* Requests are paced at Stripe's published rate: 25/s in test mode, 100/s in live mode.
* Results are returned as plain dicts (``StripeObject.to_dict()``) for the pure mappers.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import stripe
from accord.canonical.billing import CreditNote
from accord.canonical.catalog import Price, Product
from accord.canonical.party import Customer
from accord.canonical.payments import Payment, Refund
from accord.canonical.subscription import Subscription, UsageRecord
from accord.connectors.base import Page, iterate_pages
from accord.connectors.stripe import mapping
from accord.connectors.stripe.errors import SYSTEM, to_accord_error
from accord.connectors.stripe.settings import StripeSettings
from accord.errors import DataQualityError, PermanentError
from accord.resilience.limits import LimitsProfile, LocalGate, RateLimiter, SlotGate
from accord.resilience.retry import RetryPolicy, call_with_retry

T = TypeVar("T")
StripeDict = dict[str, Any]

TEST_MODE_LIMITS = LimitsProfile(
    requests_per_second=25, page_size=100,
    notes="Stripe allows 25 read/write requests per second in test mode, 100 in live mode")
LIVE_MODE_LIMITS = LimitsProfile(requests_per_second=100, page_size=100,
                                 notes=TEST_MODE_LIMITS.notes)


def limits_for(settings: StripeSettings) -> LimitsProfile:
    return TEST_MODE_LIMITS if settings.test_mode else LIVE_MODE_LIMITS


class Kind(StrEnum):
    """Listable Stripe resources, by the attribute name of their ``client.v1`` service."""

    CUSTOMERS = "customers"
    PRODUCTS = "products"
    PRICES = "prices"
    SUBSCRIPTIONS = "subscriptions"
    INVOICES = "invoices"
    INVOICE_ITEMS = "invoice_items"
    CREDIT_NOTES = "credit_notes"
    PAYMENT_INTENTS = "payment_intents"
    CHARGES = "charges"
    REFUNDS = "refunds"
    EVENTS = "events"


SEARCHABLE = frozenset({Kind.CUSTOMERS, Kind.PRODUCTS, Kind.PRICES, Kind.SUBSCRIPTIONS,
                        Kind.INVOICES, Kind.PAYMENT_INTENTS, Kind.CHARGES})


def idempotency_key(canonical_id: str, action: str) -> str:
    """Stable per (entity, action): a retry or a replay of the same create reuses it."""
    return f"accord:{canonical_id}:{action}"


@dataclass(frozen=True)
class PaymentAttempt:
    """What paying an invoice produced: the invoice after the attempt and, when a charge was
    made, the canonical-ready charge. ``declined`` carries Stripe's decline code."""

    invoice: StripeDict
    charge: StripeDict | None
    declined: str | None

    @property
    def succeeded(self) -> bool:
        return self.declined is None and self.invoice.get("status") == "paid"


class StripeClient:
    def __init__(self, settings: StripeSettings, *, policy: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 limiter: RateLimiter | None = None, gate: SlotGate | None = None,
                 retries: bool = True) -> None:
        """``limiter`` paces requests in this process (Stripe's published rate by default);
        ``gate`` is the engine's cross-process slot gate, taken around every request. With
        ``retries=False`` each call is tried once and its classified error raised: inside
        engine steps, whose retry budget is the one retry layer."""
        if settings.api_key is None:
            raise PermanentError("no API key configured (set ACCORD_STRIPE_API_KEY)",
                                 system=SYSTEM)
        self.settings = settings
        self.limits = limits_for(settings)
        self.policy = policy or RetryPolicy(max_attempts=settings.max_attempts)
        self._sleep = sleep
        self._rng = rng
        self.retries = retries
        self._limiter = limiter or RateLimiter(self.limits.requests_per_second, sleep=sleep)
        self._gate: SlotGate = gate or LocalGate(None)
        base = {"api": settings.base_url.rstrip("/")} if settings.base_url else None
        self._stripe = stripe.StripeClient(
            settings.api_key.get_secret_value(), base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=0, stripe_version=settings.stripe_version,
            http_client=stripe.RequestsClient(timeout=settings.timeout_seconds))

    def __repr__(self) -> str:
        return f"StripeClient(base_url={self.settings.base_url!r}, test_mode=" \
               f"{self.settings.test_mode})"

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def v1(self) -> Any:
        """The official client's v1 services (for calls this class does not wrap)."""
        return self._stripe.v1

    def call(self, fn: Callable[[], Any], *, retry: bool = True) -> Any:
        """Run one API call under the rate limiter, the error table and (unless ``retry`` is
        False) the retry policy."""

        def once() -> Any:
            with self._gate.slot():
                self._limiter.acquire()
                try:
                    return fn()
                except stripe.StripeError as exc:
                    raise to_accord_error(exc) from exc

        if not retry or not self.retries:
            return once()
        return call_with_retry(once, self.policy, sleep=self._sleep, rng=self._rng)

    def _dict(self, fn: Callable[[], Any]) -> StripeDict:
        result: StripeDict = self.call(fn).to_dict()
        return result

    def _service(self, kind: Kind) -> Any:
        return getattr(self._stripe.v1, kind.value)

    def _create(self, kind: Kind, params: Mapping[str, Any], canonical_id: str,
                action: str = "create") -> StripeDict:
        options: stripe.RequestOptions = {
            "idempotency_key": idempotency_key(canonical_id, action)}
        service = self._service(kind)
        return self._dict(lambda: service.create(params=dict(params), options=options))

    # -- generic reads ----------------------------------------------------------------------
    def retrieve(self, kind: Kind, stripe_id: str, *, expand: list[str] | None = None,
                 ) -> StripeDict:
        service = self._service(kind)
        params = {"expand": expand} if expand else {}
        return self._dict(lambda: service.retrieve(stripe_id, params=params))

    def find(self, kind: Kind, stripe_id: str) -> StripeDict | None:
        """Like :meth:`retrieve`, but None for a missing or deleted object."""
        try:
            found = self.retrieve(kind, stripe_id)
        except DataQualityError as error:
            if error.status == 404:
                return None
            raise
        return None if found.get("deleted") else found

    def page(self, kind: Kind, cursor: str | None, limit: int | None = None,
             **filters: Any) -> Page[StripeDict]:
        """One page, newest first; the cursor is the last id seen (``starting_after``)."""
        params: dict[str, Any] = {"limit": limit or self.limits.page_size, **filters}
        if cursor is not None:
            params["starting_after"] = cursor
        service = self._service(kind)
        result = self.call(lambda: service.list(params=params))
        items = [item.to_dict() for item in result.data]
        next_cursor = items[-1]["id"] if result.has_more and items else None
        return Page(items, next_cursor)

    def iterate(self, kind: Kind, *, page_size: int | None = None,
                **filters: Any) -> Iterator[StripeDict]:
        return iterate_pages(lambda cursor: self.page(kind, cursor, page_size, **filters),
                             system=SYSTEM)

    def find_by_accord_id(self, kind: Kind, canonical_id: str) -> StripeDict | None:
        """The object whose ``metadata["accord_id"]`` is ``canonical_id``, through Stripe's
        search API (which can lag writes by about a minute on real Stripe; idempotency keys
        cover the first 24 hours)."""
        if kind not in SEARCHABLE:
            raise PermanentError(f"Stripe cannot search {kind.value}", system=SYSTEM)
        if not canonical_id.replace("_", "").isalnum():
            raise DataQualityError("id", f"{canonical_id!r} is not a canonical id",
                                   system=SYSTEM)
        service = self._service(kind)
        query = f"metadata['{mapping.ACCORD_ID}']:'{canonical_id}'"
        result = self.call(lambda: service.search(params={"query": query, "limit": 1}))
        return result.data[0].to_dict() if result.data else None

    # -- writes -----------------------------------------------------------------------------
    def create_customer(self, customer: Customer) -> StripeDict:
        return self._create(Kind.CUSTOMERS, mapping.customer_params(customer), customer.id)

    def update_customer(self, stripe_id: str, customer: Customer) -> StripeDict:
        params = mapping.customer_params(customer)
        service = self._service(Kind.CUSTOMERS)
        return self._dict(lambda: service.update(stripe_id, params=params))

    def create_product(self, product: Product) -> StripeDict:
        return self._create(Kind.PRODUCTS, mapping.product_params(product), product.id)

    def create_price(self, price: Price, stripe_product_id: str) -> StripeDict:
        return self._create(Kind.PRICES, mapping.price_params(price, stripe_product_id),
                            price.id)

    def create_subscription(self, subscription: Subscription, *, stripe_customer_id: str,
                            stripe_price_ids: Mapping[str, str]) -> StripeDict:
        params = mapping.subscription_params(subscription,
                                             stripe_customer_id=stripe_customer_id,
                                             stripe_price_ids=stripe_price_ids)
        return self._create(Kind.SUBSCRIPTIONS, params, subscription.id)

    def create_credit_note(self, note: CreditNote, *, stripe_invoice_id: str,
                           refund: bool = False) -> StripeDict:
        params = mapping.credit_note_params(note, stripe_invoice_id=stripe_invoice_id,
                                            refund=refund)
        return self._create(Kind.CREDIT_NOTES, params, note.id)

    def create_refund(self, refund: Refund, *, stripe_charge_id: str) -> StripeDict:
        return self._create(Kind.REFUNDS,
                            mapping.refund_params(refund, stripe_charge_id=stripe_charge_id),
                            refund.id)

    def report_usage(self, usage: UsageRecord, *, event_name: str,
                     stripe_customer_id: str) -> StripeDict:
        """Send metered usage as a billing meter event; ``identifier`` is the canonical id,
        so Stripe refuses a second copy of the same usage."""
        params = mapping.meter_event_params(usage, event_name=event_name,
                                            stripe_customer_id=stripe_customer_id)
        service: Any = self._stripe.v1.billing.meter_events
        return self._dict(lambda: service.create(params=params))

    def pay_invoice(self, stripe_invoice_id: str, *, attempt: str,
                    payment_method: str | None = None) -> PaymentAttempt:
        """Try to collect an open invoice. A decline is an outcome, not an error: the result
        says ``declined`` (Stripe's decline code) and carries the failed charge."""
        params = {"payment_method": payment_method} if payment_method else {}
        options: stripe.RequestOptions = {
            "idempotency_key": idempotency_key(stripe_invoice_id, f"pay-{attempt}")}
        try:
            service = self._service(Kind.INVOICES)
            invoice = self._dict(lambda: service.pay(stripe_invoice_id, params=params,
                                                     options=options))
        except DataQualityError as error:
            cause = error.__cause__
            if error.status != 402 or not isinstance(cause, stripe.CardError):
                raise
            body = cause.error
            decline = (getattr(body, "decline_code", None) or cause.code or "card_declined")
            charge_id = getattr(body, "charge", None) if body is not None else None
            charge = self.retrieve(Kind.CHARGES, str(charge_id)) if charge_id else None
            return PaymentAttempt(self.retrieve(Kind.INVOICES, stripe_invoice_id), charge,
                                  str(decline))
        charge = self._charge_of(invoice)
        return PaymentAttempt(invoice, charge, None)

    def _charge_of(self, invoice: StripeDict) -> StripeDict | None:
        for entry in (invoice.get("payments") or {}).get("data") or []:
            payment = entry.get("payment") or {}
            if entry.get("status") == "paid" and payment.get("payment_intent"):
                intent = self.retrieve(Kind.PAYMENT_INTENTS, str(payment["payment_intent"]))
                if intent.get("latest_charge"):
                    return self.retrieve(Kind.CHARGES, str(intent["latest_charge"]))
        return None

    def payment_of(self, attempt: PaymentAttempt, *, customer_id: str,
                   invoice_id: str | None) -> Payment | None:
        """The canonical Payment (succeeded or failed) for an attempt that made a charge."""
        if attempt.charge is None:
            return None
        return mapping.payment_from_charge(attempt.charge, customer_id=customer_id,
                                           invoice_id=invoice_id)

    def list_events(self, *, ending_before: str | None = None, starting_after: str | None = None,
                    limit: int = 100) -> list[StripeDict]:
        params: dict[str, Any] = {"limit": limit}
        if ending_before is not None:
            params["ending_before"] = ending_before
        if starting_after is not None:
            params["starting_after"] = starting_after
        service = self._service(Kind.EVENTS)
        result = self.call(lambda: service.list(params=params))
        return [event.to_dict() for event in result.data]


__all__ = ["Kind", "PaymentAttempt", "StripeClient", "idempotency_key", "limits_for"]
