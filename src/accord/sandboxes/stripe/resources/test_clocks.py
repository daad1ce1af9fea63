"""Test clocks: frozen time for attached customers; advancing runs renewals and retries."""

from __future__ import annotations

from typing import Any

from accord.sandboxes.stripe import billing
from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.invoicing import DAY
from accord.sandboxes.stripe.listing import list_object
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import deleted
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire

COLLECTION = "test_helpers.test_clock"


def create(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    now = ctx.now()
    clock = wire(COLLECTION, {
        "id": new_id("clock"),
        "created": now,
        "deletes_after": now + 30 * DAY,
        "frozen_time": params.req_int("frozen_time"),
        "livemode": False,
        "name": params.str("name"),
        "status": "ready",
        "status_details": {"advancing": None},
    })
    ctx.store.insert(clock)
    return clock


def retrieve(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get(COLLECTION, path["id"])


def advance(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    """Move the clock forward. The sandbox finishes the work before answering, so the clock
    comes back ``ready`` (Stripe answers ``advancing`` and finishes asynchronously)."""
    clock = ctx.store.get(COLLECTION, path["id"])
    target = params.req_int("frozen_time")
    if target <= int(clock["frozen_time"]):
        raise invalid("The frozen_time must be after the current frozen_time of the test "
                      "clock.", param="frozen_time")
    clock["status"] = "advancing"
    clock["status_details"] = {"advancing": {"target_frozen_time": target}}
    billing.advance(ctx, target, clock["id"])
    clock["frozen_time"] = target
    clock["status"] = "ready"
    clock["status_details"] = {"advancing": None}
    ctx.at_time(target).emit("test_helpers.test_clock.ready", clock)
    return clock


def delete(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    clock = ctx.store.get(COLLECTION, path["id"])
    for customer in ctx.store.all("customer"):
        if customer["test_clock"] == clock["id"]:
            customer["deleted"] = True
    ctx.store.remove(COLLECTION, clock["id"])
    return deleted(COLLECTION, clock["id"])


def list_all(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    return list_object("/v1/test_helpers/test_clocks", ctx.store.all(COLLECTION), params)


def register(router: Router) -> None:
    router.add("POST", "/v1/test_helpers/test_clocks", create,
               "frozen_time name")
    router.add("GET", "/v1/test_helpers/test_clocks", list_all)
    router.add("GET", "/v1/test_helpers/test_clocks/{id}", retrieve)
    router.add("DELETE", "/v1/test_helpers/test_clocks/{id}", delete)
    router.add("POST", "/v1/test_helpers/test_clocks/{id}/advance", advance,
               "frozen_time")
