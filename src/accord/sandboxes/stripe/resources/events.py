"""Events (``/v1/events``) and webhook endpoints."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, no_such
from accord.sandboxes.stripe.ids import new_id, new_secret
from accord.sandboxes.stripe.listing import created_filter, list_object
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import deleted
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import StripeObject

RETENTION_SECONDS = 30 * 86_400  # Stripe keeps events for 30 days


def _retained(ctx: Ctx) -> list[StripeObject]:
    oldest = ctx.now() - RETENTION_SECONDS
    return [evt for evt in ctx.store.all("event") if int(evt["created"]) >= oldest]


def retrieve_event(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    event = ctx.store.get("event", path["id"])
    if int(event["created"]) < ctx.now() - RETENTION_SECONDS:
        raise no_such("event", path["id"])
    return event


def _type_matches(patterns: list[str], event_type: str) -> bool:
    for pattern in patterns:
        if pattern.endswith("*"):
            if event_type.startswith(pattern[:-1]):
                return True
        elif pattern == event_type:
            return True
    return not patterns


def list_events(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    patterns = params.strings("types")
    single = params.str("type")
    if single is not None:
        if patterns:
            raise invalid("You may only specify one of these parameters: type, types.",
                          param="types")
        patterns = [single]
    in_range = created_filter(params)
    items = [evt for evt in _retained(ctx)
             if _type_matches(patterns, evt["type"]) and in_range(evt)]
    return list_object("/v1/events", items, params)


def _enabled_events(params: Params, required: bool) -> list[str]:
    events = params.strings("enabled_events")
    if required and not events:
        raise invalid("Missing required param: enabled_events.", param="enabled_events",
                      code="parameter_missing")
    return events


def create_endpoint(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    url = params.req("url")
    if not url.startswith(("http://", "https://")):
        raise invalid("Invalid URL: must be http or https.", param="url",
                      code="url_invalid")
    endpoint = wire("webhook_endpoint", {
        "id": new_id("we"),
        "api_version": params.str("api_version"),
        "created": ctx.now(),
        "description": params.str("description"),
        "enabled_events": _enabled_events(params, True),
        "livemode": False,
        "metadata": params.metadata(),
        "secret": None,
        "status": "disabled" if params.bool("disabled", False) else "enabled",
        "url": url,
    })
    ctx.store.insert(endpoint)
    secret = new_secret()
    ctx.store.webhook_secrets[endpoint["id"]] = secret
    return {**endpoint, "secret": secret}  # the secret is sent only when it is created


def retrieve_endpoint(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("webhook_endpoint", path["id"])


def update_endpoint(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    endpoint = ctx.store.get("webhook_endpoint", path["id"])
    if params.has("url"):
        endpoint["url"] = params.req("url")
    if params.has("enabled_events"):
        endpoint["enabled_events"] = _enabled_events(params, True)
    if params.has("disabled"):
        endpoint["status"] = "disabled" if params.bool("disabled") else "enabled"
    if params.has("description"):
        endpoint["description"] = params.str("description")
    if params.has("metadata"):
        endpoint["metadata"] = params.metadata(endpoint["metadata"])
    return endpoint


def delete_endpoint(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    endpoint = ctx.store.get("webhook_endpoint", path["id"])
    ctx.store.remove("webhook_endpoint", endpoint["id"])
    ctx.store.webhook_secrets.pop(endpoint["id"], None)
    return deleted("webhook_endpoint", endpoint["id"])


def list_endpoints(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    return list_object("/v1/webhook_endpoints", ctx.store.all("webhook_endpoint"), params)


def wants(endpoint: StripeObject, event_type: str) -> bool:
    if endpoint["status"] != "enabled":
        return False
    return "*" in endpoint["enabled_events"] or _type_matches(endpoint["enabled_events"],
                                                              event_type)


def register(router: Router) -> None:
    router.add("GET", "/v1/events", list_events)
    router.add("GET", "/v1/events/{id}", retrieve_event)
    router.add("POST", "/v1/webhook_endpoints", create_endpoint,
               "url enabled_events api_version description metadata")
    router.add("GET", "/v1/webhook_endpoints", list_endpoints)
    router.add("GET", "/v1/webhook_endpoints/{id}", retrieve_endpoint)
    router.add("POST", "/v1/webhook_endpoints/{id}", update_endpoint,
               "url enabled_events disabled description metadata")
    router.add("DELETE", "/v1/webhook_endpoints/{id}", delete_endpoint)
