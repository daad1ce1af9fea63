"""Billing meters and meter events: usage for metered prices (``recurring[meter]``).

Usage is aggregated per customer over a billing period (``sum``, ``count`` or ``last``) and
billed in arrears on the renewal invoice. ``identifier`` makes a meter event idempotent.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.listing import list_object
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import MeterEvent, StripeObject

COLLECTION = "billing.meter"


def create_meter(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    event_name = params.req("event_name")
    if any(m["event_name"] == event_name for m in ctx.store.all(COLLECTION)):
        raise invalid(f"A meter with event_name {event_name} already exists.",
                      param="event_name")
    aggregation = params.sub("default_aggregation")
    formula = aggregation.req("formula", choices=("sum", "count", "last")) \
        if aggregation is not None else None
    if formula is None:
        raise invalid("Missing required param: default_aggregation[formula].",
                      param="default_aggregation[formula]", code="parameter_missing")
    mapping = params.sub("customer_mapping")
    value = params.sub("value_settings")
    now = ctx.now()
    meter = wire(COLLECTION, {
        "id": new_id("mtr"),
        "created": now,
        "customer_mapping": {
            "event_payload_key": (mapping.str("event_payload_key") if mapping else None)
            or "stripe_customer_id", "type": "by_id"},
        "default_aggregation": {"formula": formula},
        "display_name": params.req("display_name"),
        "event_name": event_name,
        "event_time_window": params.str("event_time_window"),
        "livemode": False,
        "status": "active",
        "status_transitions": {"deactivated_at": None},
        "updated": now,
        "value_settings": {"event_payload_key": (value.str("event_payload_key")
                                                 if value else None) or "value"},
    })
    ctx.store.insert(meter)
    return meter


def retrieve_meter(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get(COLLECTION, path["id"])


def list_meters(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    return list_object("/v1/billing/meters", ctx.store.all(COLLECTION), params)


def _meter_named(ctx: Ctx, event_name: str) -> StripeObject | None:
    return next((m for m in ctx.store.all(COLLECTION) if m["event_name"] == event_name), None)


def create_event(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    event_name = params.req("event_name")
    meter = _meter_named(ctx, event_name)
    if meter is None:
        raise invalid(f"No active meter was found matching the event_name {event_name}.",
                      param="event_name")
    payload = params.sub("payload")
    if payload is None:
        raise invalid("Missing required param: payload.", param="payload",
                      code="parameter_missing")
    customer_key = meter["customer_mapping"]["event_payload_key"]
    value_key = meter["value_settings"]["event_payload_key"]
    customer = ctx.store.get("customer", payload.req(customer_key),
                             param=f"payload[{customer_key}]", status=400)
    raw_value = payload.str(value_key) or "1"
    try:
        value = Decimal(raw_value)
    except InvalidOperation:
        raise invalid(f"Invalid numeric value: {raw_value}",
                      param=f"payload[{value_key}]") from None
    identifier = params.str("identifier") or new_id("mev")
    if any(e.identifier == identifier for e in ctx.store.meter_events):
        raise invalid(f"An event already exists with identifier {identifier}.",
                      param="identifier", code="resource_already_exists")
    timestamp = params.int("timestamp") or ctx.now(customer["id"])
    ctx.store.meter_events.append(MeterEvent(event_name, customer["id"], str(value), timestamp,
                                             identifier))
    return wire("billing.meter_event", {
        "created": ctx.now(customer["id"]), "event_name": event_name,
        "identifier": identifier, "livemode": False, "payload": dict(payload.data),
        "timestamp": timestamp})


def usage(ctx: Ctx, meter_id: str, customer: str, start: int, end: int) -> Decimal:
    """Aggregated usage of ``customer`` on a meter over [start, end)."""
    meter = ctx.store.find(COLLECTION, meter_id)
    if meter is None:
        return Decimal(0)
    events = [e for e in ctx.store.meter_events
              if e.event_name == meter["event_name"] and e.customer == customer
              and start <= e.timestamp < end]
    formula = meter["default_aggregation"]["formula"]
    if formula == "count":
        return Decimal(len(events))
    if formula == "last":
        latest = max(events, key=lambda e: e.timestamp, default=None)
        return Decimal(latest.value) if latest else Decimal(0)
    return sum((Decimal(e.value) for e in events), Decimal(0))


def event_summaries(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    meter = ctx.store.get(COLLECTION, path["id"])
    customer = params.req("customer")
    start, end = params.req_int("start_time"), params.req_int("end_time")
    total = usage(ctx, meter["id"], customer, start, end)
    summary = wire("billing.meter_event_summary", {
        "id": f"mtrusg_{meter['id'][4:]}_{start}", "aggregated_value": float(total),
        "end_time": end, "livemode": False, "meter": meter["id"], "start_time": start})
    return list_object(f"/v1/billing/meters/{meter['id']}/event_summaries", [summary], params)


def register(router: Router) -> None:
    router.add("POST", "/v1/billing/meters", create_meter,
               "display_name event_name default_aggregation customer_mapping value_settings "
               "event_time_window")
    router.add("GET", "/v1/billing/meters", list_meters)
    router.add("GET", "/v1/billing/meters/{id}", retrieve_meter)
    router.add("GET", "/v1/billing/meters/{id}/event_summaries", event_summaries)
    router.add("POST", "/v1/billing/meter_events", create_event,
               "event_name payload identifier timestamp")
