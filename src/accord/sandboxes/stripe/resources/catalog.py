"""Products, prices (one-time, recurring, tiered, metered) and tax rates."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accord.sandboxes.stripe.context import Ctx
from accord.sandboxes.stripe.errors import invalid, missing_param
from accord.sandboxes.stripe.ids import new_id
from accord.sandboxes.stripe.listing import (
    created_filter,
    list_object,
    search_matches,
    search_object,
)
from accord.sandboxes.stripe.params import Params
from accord.sandboxes.stripe.resources.common import currency, deleted, previous
from accord.sandboxes.stripe.routing import Router
from accord.sandboxes.stripe.shapes import wire
from accord.sandboxes.stripe.state import StripeObject

_INTERVALS = ("day", "week", "month", "year")


# -- products ----------------------------------------------------------------------------------
def _new_product(ctx: Ctx, params: Params, product_id: str | None = None) -> StripeObject:
    now = ctx.now()
    if product_id is not None and ctx.store.find("product", product_id) is not None:
        raise invalid("Product already exists.", param="id", code="resource_already_exists")
    product = wire("product", {
        "id": product_id or new_id("prod"),
        "active": params.bool("active", True),
        "created": now,
        "default_price": None,
        "description": params.str("description"),
        "images": params.strings("images"),
        "livemode": False,
        "marketing_features": [],
        "metadata": params.metadata(),
        "name": params.req("name"),
        "statement_descriptor": params.str("statement_descriptor"),
        "tax_code": params.str("tax_code"),
        "type": "service",
        "unit_label": params.str("unit_label"),
        "updated": now,
        "url": params.str("url"),
    })
    ctx.store.insert(product)
    ctx.emit("product.created", product)
    return product


def create_product(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    product = _new_product(ctx, params, params.str("id"))
    price_data = params.sub("default_price_data")
    if price_data is not None:
        price = _new_price(ctx, price_data, product["id"])
        product["default_price"] = price["id"]
    return product


def retrieve_product(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("product", path["id"])


def update_product(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    product = ctx.store.get("product", path["id"])
    changes: dict[str, Any] = {}
    for key in ("name", "description", "statement_descriptor", "tax_code", "unit_label",
                "url"):
        if params.has(key):
            changes[key] = params.str(key)
    if params.has("active"):
        changes["active"] = params.bool("active")
    if params.has("metadata"):
        changes["metadata"] = params.metadata(product["metadata"])
    if params.has("default_price"):
        price_id = params.str("default_price")
        if price_id is not None:
            price = ctx.store.get("price", price_id, param="default_price", status=400)
            if price["product"] != product["id"]:
                raise invalid("The default price must belong to this product.",
                              param="default_price")
        changes["default_price"] = price_id
    old = previous(product, changes)
    product.update(changes)
    product["updated"] = ctx.now()
    if old:
        ctx.emit("product.updated", product, old)
    return product


def delete_product(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    product = ctx.store.get("product", path["id"])
    if any(price["product"] == product["id"] for price in ctx.store.all("price")):
        raise invalid("This product cannot be deleted because it has one or more "
                      "user-created prices.", param="id")
    product["deleted"] = True
    ctx.emit("product.deleted", product)
    return deleted("product", product["id"])


def list_products(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    active = params.bool("active")
    ids = set(params.strings("ids"))
    in_range = created_filter(params)
    items = [p for p in ctx.store.all("product")
             if (active is None or p["active"] == active) and (not ids or p["id"] in ids)
             and in_range(p)]
    return list_object("/v1/products", items, params)


def search_products(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    return search_object("/v1/products/search",
                         [p for p in ctx.store.all("product") if matches(p)], params)


# -- prices ------------------------------------------------------------------------------------
def _tiers(params: Params) -> list[dict[str, Any]]:
    tiers = []
    for index, tier in enumerate(params.list("tiers")):
        up_to_raw = tier.req("up_to")
        up_to = None if up_to_raw == "inf" else tier.int("up_to", minimum=1)
        unit = tier.int("unit_amount", minimum=0)
        unit_decimal = tier.decimal("unit_amount_decimal")
        if unit is None and unit_decimal is not None:
            unit = int(unit_decimal) if unit_decimal == unit_decimal.to_integral() else None
        flat = tier.int("flat_amount", minimum=0)
        if unit is None and unit_decimal is None and flat is None:
            raise missing_param(f"tiers[{index}][unit_amount]")
        tiers.append({
            "flat_amount": flat,
            "flat_amount_decimal": None if flat is None else str(flat),
            "unit_amount": unit,
            "unit_amount_decimal": str(unit_decimal if unit_decimal is not None
                                       else (unit or 0)),
            "up_to": up_to,
        })
    if tiers and tiers[-1]["up_to"] is not None:
        raise invalid("The last tier must have up_to=inf.", param="tiers")
    return tiers


def _new_price(ctx: Ctx, params: Params, product_id: str | None = None) -> StripeObject:
    if product_id is None:
        product_ref = params.str("product")
        product_data = params.sub("product_data")
        if product_ref is not None:
            product_id = ctx.store.get("product", product_ref, param="product", status=400)["id"]
        elif product_data is not None:
            product_id = _new_product(ctx, product_data)["id"]
        else:
            raise missing_param("product")
    price_currency = currency(params)
    scheme = params.str("billing_scheme", choices=("per_unit", "tiered")) or "per_unit"
    unit_amount = params.int("unit_amount", minimum=0)
    unit_decimal = params.decimal("unit_amount_decimal")
    tiers: list[dict[str, Any]] = []
    tiers_mode = None
    if scheme == "tiered":
        tiers_mode = params.req("tiers_mode", choices=("graduated", "volume"))
        tiers = _tiers(params)
        if not tiers:
            raise missing_param("tiers")
    else:
        if unit_amount is None and unit_decimal is None and not params.has("custom_unit_amount"):
            raise missing_param("unit_amount")
        if unit_amount is not None and unit_decimal is not None:
            raise invalid("You may only specify one of these parameters: unit_amount, "
                          "unit_amount_decimal.", param="unit_amount_decimal")
        if unit_decimal is not None:
            if unit_decimal < 0:
                raise invalid("unit_amount_decimal must be positive",
                              param="unit_amount_decimal")
            if unit_decimal == unit_decimal.to_integral():
                unit_amount = int(unit_decimal)
        elif unit_amount is not None:
            unit_decimal = Decimal(unit_amount)
    recurring_params = params.sub("recurring")
    recurring: dict[str, Any] | None = None
    if recurring_params is not None:
        interval = recurring_params.req("interval", choices=_INTERVALS)
        interval_count = recurring_params.int("interval_count", minimum=1) or 1
        if interval == "year" and interval_count > 3:
            raise invalid("The maximum billing interval is three years.",
                          param="recurring[interval_count]")
        meter = recurring_params.str("meter")
        if meter is not None:
            ctx.store.get("billing.meter", meter, param="recurring[meter]", status=400)
        recurring = {
            "interval": interval,
            "interval_count": interval_count,
            "meter": recurring_params.str("meter"),
            "trial_period_days": recurring_params.int("trial_period_days"),
            "usage_type": recurring_params.str("usage_type", choices=("licensed", "metered"))
            or "licensed",
        }
    price = wire("price", {
        "id": new_id("price"),
        "active": params.bool("active", True),
        "billing_scheme": scheme,
        "created": ctx.now(),
        "currency": price_currency,
        "livemode": False,
        "lookup_key": params.str("lookup_key"),
        "metadata": params.metadata(),
        "nickname": params.str("nickname"),
        "product": product_id,
        "recurring": recurring,
        "tax_behavior": params.str("tax_behavior",
                                   choices=("inclusive", "exclusive", "unspecified"))
        or "unspecified",
        "tiers": tiers or None,
        "tiers_mode": tiers_mode,
        "type": "recurring" if recurring else "one_time",
        "unit_amount": unit_amount,
        "unit_amount_decimal": None if unit_decimal is None else str(unit_decimal),
    })
    if price["lookup_key"] is not None and any(
            p["lookup_key"] == price["lookup_key"] for p in ctx.store.all("price")):
        if not params.bool("transfer_lookup_key", False):
            raise invalid(f"A price (`{price['lookup_key']}`) already uses that lookup key.",
                          param="lookup_key")
        for other in ctx.store.all("price"):
            if other["lookup_key"] == price["lookup_key"]:
                other["lookup_key"] = None
    ctx.store.insert(price)
    ctx.emit("price.created", price)
    return price


def create_price(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    return _new_price(ctx, params)


def retrieve_price(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("price", path["id"])


def update_price(ctx: Ctx, params: Params, path: dict[str, str]) -> dict[str, Any]:
    price = ctx.store.get("price", path["id"])
    changes: dict[str, Any] = {}
    for key in ("nickname", "lookup_key"):
        if params.has(key):
            changes[key] = params.str(key)
    if params.has("active"):
        changes["active"] = params.bool("active")
    if params.has("metadata"):
        changes["metadata"] = params.metadata(price["metadata"])
    for key in ("unit_amount", "currency", "recurring", "product"):
        if params.has(key):
            raise invalid(f"Received unknown parameter: {key}", param=key,
                          code="parameter_unknown")
    old = previous(price, changes)
    price.update(changes)
    if old:
        ctx.emit("price.updated", price, old)
    return price


def list_prices(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    active = params.bool("active")
    product = params.str("product")
    kind = params.str("type", choices=("one_time", "recurring"))
    price_currency = currency(params, required=False)
    lookup_keys = set(params.strings("lookup_keys"))
    in_range = created_filter(params)
    items = [p for p in ctx.store.all("price")
             if (active is None or p["active"] == active)
             and (product is None or p["product"] == product)
             and (kind is None or p["type"] == kind)
             and (price_currency is None or p["currency"] == price_currency)
             and (not lookup_keys or p["lookup_key"] in lookup_keys) and in_range(p)]
    return list_object("/v1/prices", items, params)


def search_prices(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    matches = search_matches(params.req("query"))
    return search_object("/v1/prices/search",
                         [p for p in ctx.store.all("price") if matches(p)], params)


# -- tax rates ---------------------------------------------------------------------------------
def create_tax_rate(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    percentage = params.decimal("percentage")
    if percentage is None:
        raise missing_param("percentage")
    if not 0 <= percentage <= 100:
        raise invalid("percentage must be between 0 and 100", param="percentage")
    rate = wire("tax_rate", {
        "id": new_id("txr"),
        "active": params.bool("active", True),
        "country": params.str("country"),
        "created": ctx.now(),
        "description": params.str("description"),
        "display_name": params.req("display_name"),
        "effective_percentage": float(percentage),
        "inclusive": params.bool("inclusive", False),
        "jurisdiction": params.str("jurisdiction"),
        "jurisdiction_level": None,
        "livemode": False,
        "metadata": params.metadata(),
        "percentage": float(percentage),
        "rate_type": "percentage",
        "state": params.str("state"),
        "tax_type": params.str("tax_type"),
    })
    if rate["inclusive"]:
        raise invalid("Inclusive tax rates are not supported by this sandbox.",
                      param="inclusive")
    ctx.store.insert(rate)
    # the exact percentage, for the sandbox's own arithmetic (floats are only for the wire)
    ctx.store.note(rate["id"])["percentage"] = str(percentage)
    ctx.emit("tax_rate.created", rate)
    return rate


def retrieve_tax_rate(ctx: Ctx, _: Params, path: dict[str, str]) -> dict[str, Any]:
    return ctx.store.get("tax_rate", path["id"])


def list_tax_rates(ctx: Ctx, params: Params, _: dict[str, str]) -> dict[str, Any]:
    return list_object("/v1/tax_rates", ctx.store.all("tax_rate"), params)


def register(router: Router) -> None:
    router.add("POST", "/v1/products", create_product,
               "id name active description images metadata statement_descriptor tax_code "
               "unit_label url default_price_data")
    router.add("GET", "/v1/products", list_products)
    router.add("GET", "/v1/products/search", search_products)
    router.add("GET", "/v1/products/{id}", retrieve_product)
    router.add("POST", "/v1/products/{id}", update_product,
               "name active description metadata statement_descriptor tax_code unit_label url "
               "default_price")
    router.add("DELETE", "/v1/products/{id}", delete_product)
    router.add("POST", "/v1/prices", create_price,
               "product product_data currency billing_scheme unit_amount unit_amount_decimal "
               "tiers_mode tiers recurring active lookup_key metadata nickname tax_behavior "
               "transfer_lookup_key")
    router.add("GET", "/v1/prices", list_prices)
    router.add("GET", "/v1/prices/search", search_prices)
    router.add("GET", "/v1/prices/{id}", retrieve_price)
    router.add("POST", "/v1/prices/{id}", update_price,
               "nickname lookup_key active metadata")
    router.add("POST", "/v1/tax_rates", create_tax_rate,
               "percentage display_name inclusive active country description jurisdiction "
               "metadata state tax_type")
    router.add("GET", "/v1/tax_rates", list_tax_rates)
    router.add("GET", "/v1/tax_rates/{id}", retrieve_tax_rate)
