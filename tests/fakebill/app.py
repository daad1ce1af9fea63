"""FakeBill's HTTP API: a vendor's, not accord's (it imports nothing of accord).

Customers, products, plans, meters, tax rates, subscriptions, invoices, card payments,
refunds and usage, in memory. Amounts are integers in the currency's minor units. A
subscription issues its first invoice at once (recurring items and one-off charges, tax on
top). Every change is an event in ``GET /v1/events`` (oldest first after a cursor), and is
delivered once to every webhook endpoint (``POST /v1/webhook-endpoints``), signed
``FakeBill-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the
endpoint's secret>``; a failed delivery is not retried (the feed keeps every event). Lists
page with ``limit`` and ``after`` (the last id of the previous page). Requests carry
``Authorization: Bearer <key>``; a POST with an ``Idempotency-Key`` already seen answers
what it answered the first time.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import itertools
import json
import secrets
import threading
import time
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

EXPONENTS = {"JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3}
"""Minor-unit exponents that are not 2."""
DEFAULT_KEY = "fb_test_0000"

Record = dict[str, Any]


class Refused(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.field = status, code, message, field


class Store:
    """Everything FakeBill holds."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: dict[str, dict[str, Record]] = {}
        self.events: list[Record] = []
        self.replies: dict[str, Record] = {}
        self.endpoints: list[Record] = []
        self._ids = itertools.count(1)

    def emit(self, event_type: str, data: Record) -> None:
        event = {"id": f"ev_{len(self.events) + 1:08d}", "type": event_type,
                 "created": int(time.time()), "data": dict(data)}
        self.events.append(event)
        for endpoint in self.endpoints:
            threading.Thread(target=deliver, args=(endpoint, event), daemon=True).start()

    def new_id(self, prefix: str) -> str:
        return f"{prefix}_{next(self._ids):06d}"

    def table(self, kind: str) -> dict[str, Record]:
        return self.records.setdefault(kind, {})

    def get(self, kind: str, record_id: str) -> Record:
        found = self.table(kind).get(record_id)
        if found is None:
            raise Refused(404, "not_found", f"no {kind} {record_id}")
        return found

    def add(self, kind: str, prefix: str, record: Record, event: str | None = None) -> Record:
        record = {"id": self.new_id(prefix), "created": int(time.time()), **record}
        self.table(kind)[record["id"]] = record
        if event:
            self.emit(event, record)
        return record


def signature(secret: str, timestamp: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body,
                    hashlib.sha256).hexdigest()


def deliver(endpoint: Record, event: Record) -> None:
    body = json.dumps(event).encode()
    now = int(time.time())
    header = f"t={now},v1={signature(endpoint['secret'], now, body)}"
    with contextlib.suppress(httpx.HTTPError):  # not retried: the event feed keeps it
        httpx.post(endpoint["url"], content=body, timeout=10,
                   headers={"Content-Type": "application/json", "FakeBill-Signature": header})


def create_endpoint(store: Store, body: Record) -> Record:
    endpoint = store.add("webhook_endpoints", "fbwe", {
        "url": _required(body, "url"), "secret": f"fbwhsec_{secrets.token_hex(16)}"})
    store.endpoints.append(endpoint)
    return endpoint


def _required(body: Record, name: str) -> Any:
    value = body.get(name)
    if value in (None, ""):
        raise Refused(400, "missing_field", f"{name} is required", field=name)
    return value


def _currency(body: Record) -> str:
    code = str(_required(body, "currency")).upper()
    if len(code) != 3 or not code.isalpha():
        raise Refused(400, "bad_currency", f"{code} is not a currency", field="currency")
    return code


def _by(store: Store, kind: str, field: str, value: Any) -> Record | None:
    return next((r for r in store.table(kind).values() if r.get(field) == value), None)


def create_customer(store: Store, body: Record) -> Record:
    return store.add("customers", "fbc", {
        "name": _required(body, "name"), "email": body.get("email"),
        "currency": _currency(body), "reference": body.get("reference"),
        "address": body.get("address") or {}}, "customer.created")


def update_customer(store: Store, record_id: str, body: Record) -> Record:
    found = store.get("customers", record_id)
    found.update({k: v for k, v in body.items() if k in ("name", "email", "address")})
    return found


def create_product(store: Store, body: Record) -> Record:
    return store.add("products", "fbp", {"name": _required(body, "name"),
                                         "code": _required(body, "code"),
                                         "reference": body.get("reference")})


def create_plan(store: Store, body: Record) -> Record:
    store.get("products", str(_required(body, "product")))
    amount = _required(body, "amount")
    if not isinstance(amount, int) or amount < 0:
        raise Refused(400, "bad_amount", "amount is a whole number of minor units",
                      field="amount")
    return store.add("plans", "fbpl", {
        "product": body["product"], "currency": _currency(body), "amount": amount,
        "interval": body.get("interval"), "meter": body.get("meter"),
        "reference": body.get("reference")})


def ensure_meter(store: Store, body: Record) -> Record:
    name = _required(body, "event_name")
    return _by(store, "meters", "event_name", name) or store.add(
        "meters", "fbm", {"event_name": name, "display_name": body.get("display_name")})


def ensure_tax_rate(store: Store, body: Record) -> Record:
    code = _required(body, "code")
    return _by(store, "tax_rates", "code", code) or store.add("tax_rates", "fbt", {
        "code": code, "percent": str(Decimal(str(_required(body, "percent")))),
        "jurisdiction": body.get("jurisdiction") or ""})


def _tax(subtotal: int, percent: str) -> int:
    return int((Decimal(subtotal) * Decimal(percent) / 100).to_integral_value(ROUND_HALF_UP))


def _line(store: Store, item: Record, start: date, end: date | None) -> Record:
    plan = store.get("plans", str(_required(item, "plan")))
    quantity = int(item.get("quantity") or 1)
    return {"plan": plan["id"], "product": plan["product"],
            "description": store.get("products", plan["product"])["name"],
            "quantity": quantity, "unit_amount": plan["amount"],
            "amount": plan["amount"] * quantity, "period_start": start.isoformat(),
            "period_end": (end or start).isoformat()}


def _item(store: Store, item: Record) -> Record:
    return {"id": store.new_id("fbsi"), "plan": _required(item, "plan"),
            "quantity": int(item.get("quantity") or 1), "sku": item.get("sku")}


def create_subscription(store: Store, body: Record) -> Record:
    customer = store.get("customers", str(_required(body, "customer")))
    items = [_item(store, item) for item in body.get("items") or []]
    if not items:
        raise Refused(400, "missing_field", "a subscription needs items", field="items")
    start = date.fromisoformat(body.get("start") or datetime.now(UTC).date().isoformat())
    end = date.fromisoformat(body["end"]) if body.get("end") else None
    subscription = store.add("subscriptions", "fbs", {
        "customer": customer["id"], "state": "running", "items": items,
        "collection": body.get("collection") or "auto", "tax_rate": body.get("tax_rate"),
        "metadata": body.get("metadata") or {}}, "subscription.created")
    lines = [_line(store, item, start, end) for item in items
             if not store.get("plans", str(item["plan"])).get("meter")]
    lines += [_line(store, item, start, start) for item in body.get("one_off") or []]
    subtotal = sum(line["amount"] for line in lines)
    taxes = []
    if body.get("tax_rate"):
        rate = store.get("tax_rates", str(body["tax_rate"]))
        taxes.append({"rate": rate["id"], "percent": rate["percent"],
                      "jurisdiction": rate["jurisdiction"], "taxable": subtotal,
                      "amount": _tax(subtotal, rate["percent"])})
    tax_total = sum(tax["amount"] for tax in taxes)
    number = f"FB-{len(store.table('invoices')) + 1:06d}"
    store.add("invoices", "fbi", {
        "number": number, "customer": customer["id"], "subscription": subscription["id"],
        "currency": customer["currency"], "state": "issued", "lines": lines, "taxes": taxes,
        "subtotal": subtotal, "tax_total": tax_total, "total": subtotal + tax_total,
        "issued_on": start.isoformat(), "due_on": start.isoformat(),
        "amount_paid": 0, "metadata": subscription["metadata"]}, "invoice.issued")
    return subscription


def update_subscription(store: Store, record_id: str, body: Record) -> Record:
    """Items by id get a new quantity; items without an id are added; ``end`` moves."""
    found = store.get("subscriptions", record_id)
    for change in body.get("items") or []:
        if change.get("id"):
            item = next((i for i in found["items"] if i["id"] == change["id"]), None)
            if item is None:
                raise Refused(400, "bad_item", f"no item {change['id']}", field="items")
            item["quantity"] = int(change.get("quantity") or item["quantity"])
        else:
            found["items"].append(_item(store, change))
    if body.get("end"):
        found["end"] = body["end"]
    return found


def _fee(amount: int) -> int:
    """2.9 % + 30 minor units, as card processors charge."""
    return _tax(amount, "2.9") + 30


def create_payment(store: Store, body: Record) -> Record:
    """The customer pays an issued invoice in full by card."""
    invoice = store.get("invoices", str(_required(body, "invoice")))
    if invoice["state"] != "issued":
        raise Refused(400, "not_payable", f"invoice {invoice['id']} is {invoice['state']}",
                      field="invoice")
    due = invoice["total"] - invoice["amount_paid"]
    payment = store.add("payments", "fbpay", {
        "invoice": invoice["id"], "customer": invoice["customer"], "amount": due,
        "currency": invoice["currency"], "fee": _fee(due), "method": "card",
        "state": "succeeded"}, "payment.succeeded")
    invoice.update({"state": "settled", "amount_paid": invoice["total"]})
    store.emit("invoice.settled", invoice)
    return payment


def create_refund(store: Store, body: Record) -> Record:
    payment = store.get("payments", str(_required(body, "payment")))
    amount = int(_required(body, "amount"))
    refunded = sum(r["amount"] for r in store.table("refunds").values()
                   if r["payment"] == payment["id"])
    if not 0 < amount <= payment["amount"] - refunded:
        raise Refused(400, "bad_amount", "more than the payment has left", field="amount")
    return store.add("refunds", "fbr", {
        "payment": payment["id"], "customer": payment["customer"], "amount": amount,
        "currency": payment["currency"], "state": "succeeded"}, "payment.refunded")


def record_usage(store: Store, body: Record) -> Record:
    """A meter reading; a second reading with the same ``identifier`` is refused."""
    identifier = _required(body, "identifier")
    if _by(store, "usage", "identifier", identifier) is not None:
        raise Refused(400, "duplicate_identifier", f"usage {identifier} was recorded",
                      field="identifier")
    if _by(store, "meters", "event_name", _required(body, "meter")) is None:
        raise Refused(400, "bad_meter", f"no meter {body['meter']}", field="meter")
    store.get("customers", str(_required(body, "customer")))
    return store.add("usage", "fbu", {"identifier": identifier, "meter": body["meter"],
                                      "customer": body["customer"],
                                      "value": str(Decimal(str(_required(body, "value"))))})


CREATES = {"customers": create_customer, "products": create_product, "plans": create_plan,
           "meters": ensure_meter, "tax-rates": ensure_tax_rate,
           "subscriptions": create_subscription, "payments": create_payment,
           "refunds": create_refund, "usage": record_usage,
           "webhook-endpoints": create_endpoint}
UPDATES = {"customers": update_customer, "subscriptions": update_subscription}


def create_app(api_key: str = DEFAULT_KEY) -> Starlette:
    store = Store()

    def refused(error: Refused) -> JSONResponse:
        return JSONResponse({"error": {"code": error.code, "message": error.message,
                                       "field": error.field}}, status_code=error.status)

    def authorized(request: Request) -> None:
        if request.headers.get("authorization") != f"Bearer {api_key}":
            raise Refused(401, "unauthorized", "unknown API key")

    async def create(request: Request) -> JSONResponse:
        try:
            authorized(request)
            kind = request.path_params["kind"]
            if kind not in CREATES:
                raise Refused(404, "not_found", f"no resource {kind}")
            body = await request.json()
            key = request.headers.get("idempotency-key")
            with store.lock:
                if key and key in store.replies:
                    return JSONResponse(store.replies[key])
                made = dict(CREATES[kind](store, body))
                if key:
                    store.replies[key] = made
            return JSONResponse(made)
        except Refused as error:
            return refused(error)

    async def update(request: Request) -> JSONResponse:
        try:
            authorized(request)
            change = UPDATES.get(request.path_params["kind"])
            if change is None:
                raise Refused(405, "not_allowed", "only customers and subscriptions change")
            body = await request.json()
            with store.lock:
                return JSONResponse(change(store, request.path_params["id"], body))
        except Refused as error:
            return refused(error)

    async def listing(request: Request) -> JSONResponse:
        try:
            authorized(request)
            kind = request.path_params["kind"]
            query = request.query_params
            with store.lock:
                if kind == "events":
                    found = list(store.events)
                else:
                    found = sorted(store.table(kind).values(), key=lambda r: str(r["id"]))
                    found = [r for r in found
                             if all(str(r.get(f)) == v for f, v in query.items()
                                    if f not in ("limit", "after", "newest"))]
                if query.get("after"):  # ids sort in creation order: the next page
                    found = [r for r in found if str(r["id"]) > query["after"]]
                if query.get("newest") == "true":
                    found = found[-1:]
                return JSONResponse({"data": found[:int(query.get("limit") or 100)]})
        except Refused as error:
            return refused(error)

    async def one(request: Request) -> JSONResponse:
        try:
            authorized(request)
            with store.lock:
                return JSONResponse(store.get(request.path_params["kind"],
                                              request.path_params["id"]))
        except Refused as error:
            return refused(error)

    return Starlette(routes=[
        Route("/v1/{kind}", create, methods=["POST"]),
        Route("/v1/{kind}", listing, methods=["GET"]),
        Route("/v1/{kind}/{id}", one, methods=["GET"]),
        Route("/v1/{kind}/{id}", update, methods=["POST"]),
    ])


def main() -> None:
    """``python -m tests.fakebill.app PORT``: FakeBill on its own."""
    import sys

    import uvicorn

    uvicorn.run(create_app(), host="127.0.0.1", port=int(sys.argv[1]))


if __name__ == "__main__":
    main()
