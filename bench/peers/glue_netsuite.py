"""What the two glue peers do for one ``invoice.finalized`` event, written as integration
glue usually is: ``requests`` against Stripe (bearer key) and NetSuite (``requests-oauthlib``'s
OAuth 1.0a, HMAC-SHA256, NetSuite's token-based auth), a ``urllib3`` retry on each session as
the requests documentation shows, and hand-written JSON.

The same vendor work as accord's invoice-posting flow: read the invoice back from Stripe
(``GET /v1/invoices/{id}``: the event may be stale, the invoice is the truth), then upsert it
in NetSuite by external id (``PUT /record/v1/invoice/eid:{externalId}``, keyed by the Stripe
invoice id), so a repeated call updates the record it created instead of making a second one:
the careful way, not a strawman. The NetSuite customer comes from the glue's customer map
(``$BENCH_STATE/customers.json``, Stripe customer id -> NetSuite external id), as the
onboarding step of such a script leaves it. Settings come from ``ACCORD_NETSUITE_*``,
``BENCH_STRIPE_URL`` and ``BENCH_STRIPE_KEY``.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from requests_oauthlib import OAuth1
from urllib3.util.retry import Retry

# NetSuite internal ids a glue script hard-codes: subsidiary US01, currency USD, and the
# subscription service item (the sandbox's default reference data).
SUBSIDIARY = "1"
CURRENCY = "1"
ITEM = "201"


def _retrying(http: requests.Session, retries: int) -> None:
    retry = Retry(total=retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=None, respect_retry_after_header=True)
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.mount("https://", HTTPAdapter(max_retries=retry))


def stripe_session(*, retries: int = 3) -> requests.Session:
    """A requests session for Stripe's API (bearer key), retrying 429/5xx with back-off."""
    http = requests.Session()
    http.headers.update({"Authorization": f"Bearer {os.environ['BENCH_STRIPE_KEY']}"})
    _retrying(http, retries)
    return http


def customer_map() -> dict[str, str]:
    found: dict[str, str] = json.loads(
        (Path(os.environ["BENCH_STATE"]) / "customers.json").read_text())
    return found


def session(*, retries: int = 3) -> requests.Session:
    """A requests session signed for NetSuite, retrying 429/5xx with back-off."""
    env = os.environ
    http = requests.Session()
    http.auth = OAuth1(env["ACCORD_NETSUITE_CONSUMER_KEY"],
                       client_secret=env["ACCORD_NETSUITE_CONSUMER_SECRET"],
                       resource_owner_key=env["ACCORD_NETSUITE_TOKEN_ID"],
                       resource_owner_secret=env["ACCORD_NETSUITE_TOKEN_SECRET"],
                       realm=env["ACCORD_NETSUITE_ACCOUNT_ID"], signature_method="HMAC-SHA256")
    _retrying(http, retries)
    http.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    return http


def _root() -> str:
    return os.environ["ACCORD_NETSUITE_BASE_URL"].rstrip("/") + "/services/rest/record/v1"


def _upsert(http: requests.Session, record_type: str, external_id: str,
            body: dict[str, Any]) -> str:
    response = http.put(f"{_root()}/{record_type}/eid:{external_id}", json=body, timeout=10)
    response.raise_for_status()
    return str(response.headers.get("Location", "")).rstrip("/").rsplit("/", 1)[-1]


def read_invoice(stripe: requests.Session, invoice_id: str) -> dict[str, Any]:
    response = stripe.get(f"{os.environ['BENCH_STRIPE_URL'].rstrip('/')}/v1/invoices/"
                          f"{invoice_id}", timeout=10)
    response.raise_for_status()
    found: dict[str, Any] = response.json()
    return found


def post_invoice_event(http: requests.Session, stripe: requests.Session,
                       customers: dict[str, str], event: dict[str, Any]) -> str:
    """Read the event's invoice from Stripe and upsert it in NetSuite; the NetSuite id."""
    invoice = read_invoice(stripe, event["data"]["object"]["id"])
    lines = []
    for line in invoice["lines"]["data"]:
        amount = str(Decimal(int(line["amount"])).scaleb(-2))
        quantity = line.get("quantity") or 1
        lines.append({"item": {"id": ITEM}, "description": line.get("description") or "",
                      "quantity": quantity,
                      "rate": str((Decimal(amount) / quantity).quantize(Decimal("0.01"))),
                      "amount": amount})
    return _upsert(http, "invoice", invoice["id"], {
        "tranId": invoice["number"], "entity": {"externalId": customers[invoice["customer"]]},
        "subsidiary": {"id": SUBSIDIARY}, "currency": {"id": CURRENCY},
        "tranDate": _date(invoice["created"]), "item": {"items": lines}})


def _date(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).date().isoformat()
