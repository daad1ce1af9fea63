"""Webhook intake: ``POST /hooks/{system}``.

Each delivery is checked in this order, cheapest first, and every refusal names what is
wrong without echoing a secret, a header value or the body:

1. the system is a connector's name or a configured instance of one (``stripe-eu`` with
   its own settings) (404), its connector receives webhooks (400), and its signing secret is
   configured (503, so the sender keeps retrying while an operator fixes the configuration);
2. the body is at most :data:`MAX_BODY_BYTES` (413; ``Content-Length`` is checked before
   reading, the stream is cut off at the limit either way);
3. the body is UTF-8 JSON that a store can hold (400 naming the line and column, or the
   field: nesting, numbers, NUL and lone surrogates are checked by
   :mod:`accord.api.payloads` before anything else reads the body);
4. the connector's :class:`~accord.connectors.base.WebhookVerifier` accepts it (400 with the
   verifier's safe reason, or the field of a signed event that is not valid), checked
   against the app's clock. A system that sends several events in one delivery has a
   :class:`~accord.connectors.base.BatchWebhookVerifier`; every event of the batch is
   stored.

An accepted event is stored durably through :func:`accord.engine.dispatch.store` (or started
at once with :func:`~accord.engine.dispatch.accept` when the engine runs in this process)
before the answer: 202 for a new event, 200 for a duplicate (recorded as another delivery).
For a batch, the answer names its first event, ``events`` counts them, and it is 202 when
any of them was new.
Rejections are counted in ``accord_webhook_rejections_total{system,reason}``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, NoReturn

from fastapi import APIRouter, HTTPException, Request, Response, status
from fastapi.concurrency import run_in_threadpool
from prometheus_client import REGISTRY, Counter
from pydantic import BaseModel
from pydantic_settings import BaseSettings
from sqlalchemy.exc import SQLAlchemyError

from accord.api.configured_systems import ConfiguredSystems, connector_for
from accord.api.payloads import PayloadProblem, parse_payload
from accord.api.responses import documented
from accord.connectors.base import (
    ConnectorDefinition,
    InboundEvent,
    WebhookRejected,
    WebhookVerifier,
)
from accord.connectors.registry import available
from accord.engine import context as runtime
from accord.engine import dispatch
from accord.store import Database

MAX_BODY_BYTES = 512 * 1024
"""Larger than any Stripe event (Stripe caps objects well below this)."""

REJECTIONS = Counter("accord_webhook_rejections_total",
                     "Webhook deliveries refused, by system and reason", ["system", "reason"])
DELIVERIES = Counter("accord_webhook_deliveries_total",
                     "Webhook deliveries stored, by system and whether a duplicate",
                     ["system", "duplicate"])

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])


def deliveries_stored(system: str) -> int:
    """How many deliveries from ``system`` this process has stored so far (duplicates
    included), as counted in ``accord_webhook_deliveries_total``."""
    return int(sum(REGISTRY.get_sample_value("accord_webhook_deliveries_total",
                                             {"system": system, "duplicate": duplicate}) or 0
                   for duplicate in ("true", "false")))


class HookReceipt(BaseModel):
    """The answer to an accepted delivery."""

    system: str
    event_id: str
    event_type: str
    inbox_id: int
    duplicate: bool
    events: int = 1
    """How many events the delivery held (a batch holds several)."""


class BodyTooLarge(Exception):
    pass


def system_settings(request: Request, system: str, definition: ConnectorDefinition
                    ) -> BaseSettings:
    systems = ConfiguredSystems(request.app.state.system_settings)
    return systems.settings(system) or systems.settings(definition.name) or \
        definition.settings_model()


def _reject(system: str, code: int, reason: str, counted_reason: str | None = None) -> NoReturn:
    REJECTIONS.labels(system=system, reason=(counted_reason or reason)[:80]).inc()
    log.warning("webhook from %s refused (%d): %s", system, code, reason)
    raise HTTPException(code, reason)


async def read_limited(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def json_problem(body: bytes, *, batch: bool = False) -> str | None:
    """What is wrong with ``body`` as a JSON webhook payload, or None (see
    :mod:`accord.api.payloads`: no depth, number or text that a store cannot hold)."""
    try:
        parse_payload(body, batch=batch)
    except PayloadProblem as problem:
        return str(problem)
    return None


def _store(database: Database, event: InboundEvent) -> tuple[int, bool]:
    if runtime.is_running():
        intake = dispatch.accept(database, event)
        if intake is not None:
            return intake.inbox_id, intake.duplicate
    return dispatch.store(database, event)


@router.post("/hooks/{system}", status_code=status.HTTP_202_ACCEPTED, responses={
    200: {"description": "a duplicate of a delivery already stored", "model": HookReceipt},
    **documented(400, 404, 413, 503),
})
async def receive(system: str, request: Request, response: Response) -> HookReceipt:
    """Verify a webhook delivery and store it durably; the flow runs after the answer."""
    definition = connector_for(system)
    if definition is None or (system != definition.name
                              and system not in request.app.state.system_settings):
        known = ", ".join(available())
        raise HTTPException(status.HTTP_404_NOT_FOUND,
                            f"system: no connector or configured instance named {system!r} "
                            f"(connectors: {known})")
    label = definition.name
    if definition.webhook_verifier is None:
        _reject(label, status.HTTP_400_BAD_REQUEST,
                f"system: {definition.name} sends no webhooks; accord polls it for changes",
                "no webhooks")
    build: Callable[[Any], WebhookVerifier | None] = definition.webhook_verifier
    verifier = build(system_settings(request, system, definition))
    if verifier is None:
        _reject(label, status.HTTP_503_SERVICE_UNAVAILABLE,
                f"{definition.name} webhooks are not configured: set webhook_secret in "
                f"[systems.{definition.name}]", "not configured")
    try:
        body = await read_limited(request, MAX_BODY_BYTES)
    except BodyTooLarge:
        _reject(label, status.HTTP_413_CONTENT_TOO_LARGE,
                f"body: larger than {MAX_BODY_BYTES} bytes", "too large")
    batch: Callable[..., list[InboundEvent]] | None = getattr(verifier, "verify_batch", None)
    problem = json_problem(body, batch=batch is not None)
    if problem is not None:
        _reject(label, status.HTTP_400_BAD_REQUEST, problem, "malformed body")
    clock: Callable[[], datetime] = request.app.state.clock
    try:
        events = batch(body, request.headers, clock()) if batch is not None \
            else [verifier.verify(body, request.headers, clock())]
    except WebhookRejected as rejected:
        if rejected.field is not None:  # signed, but a field no store should take
            _reject(label, status.HTTP_400_BAD_REQUEST, f"{rejected.field}: {rejected.reason}",
                    "invalid field")
        _reject(label, status.HTTP_400_BAD_REQUEST, f"signature: {rejected.reason}",
                rejected.reason)
    receipts = [await _keep(request, system, label, event) for event in events]
    if all(receipt.duplicate for receipt in receipts):
        response.status_code = status.HTTP_200_OK
    first = receipts[0]
    return first.model_copy(update={"events": len(receipts),
                                    "duplicate": all(r.duplicate for r in receipts)})


async def _keep(request: Request, system: str, label: str, event: InboundEvent) -> HookReceipt:
    """Store one verified event (a duplicate is recorded as another delivery)."""
    if event.system != system:
        event = InboundEvent(system=system, event_id=event.event_id,
                             event_type=event.event_type, occurred_at=event.occurred_at,
                             payload=event.payload)
    try:
        inbox_id, duplicate = await run_in_threadpool(_store, request.app.state.database,
                                                      event)
    except SQLAlchemyError:
        log.exception("webhook %s %s could not be stored", system, event.event_id)
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE,
                            "the event store is unavailable; deliver again later") from None
    DELIVERIES.labels(system=label, duplicate=str(duplicate).lower()).inc()
    log.info("webhook %s %s %s stored as inbox %d%s", system, event.event_type,
             event.event_id, inbox_id, " (duplicate)" if duplicate else "")
    return HookReceipt(system=system, event_id=event.event_id, event_type=event.event_type,
                       inbox_id=inbox_id, duplicate=duplicate)


__all__ = ["DELIVERIES", "MAX_BODY_BYTES", "REJECTIONS", "HookReceipt", "deliveries_stored",
           "json_problem", "router"]
