"""What the two peers post to NetSuite, written as integration glue usually is: ``requests``
with ``requests-oauthlib``'s OAuth 1.0a (HMAC-SHA256, NetSuite's token-based auth), a
``urllib3`` retry on the session as the requests documentation shows, and hand-written JSON.

Customers and invoices are written with NetSuite's upsert by external id
(``PUT /record/v1/{type}/eid:{externalId}``), keyed by the Stripe ids, so a repeated call
updates the record it created instead of making a second one: the careful way, not a strawman.
Settings come from the ``ACCORD_NETSUITE_*`` variables the sandbox's credentials fill.
"""

from __future__ import annotations

import os
from decimal import Decimal
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


def session(*, retries: int = 3) -> requests.Session:
    """A requests session signed for NetSuite, retrying 429/5xx with back-off."""
    env = os.environ
    http = requests.Session()
    http.auth = OAuth1(env["ACCORD_NETSUITE_CONSUMER_KEY"],
                       client_secret=env["ACCORD_NETSUITE_CONSUMER_SECRET"],
                       resource_owner_key=env["ACCORD_NETSUITE_TOKEN_ID"],
                       resource_owner_secret=env["ACCORD_NETSUITE_TOKEN_SECRET"],
                       realm=env["ACCORD_NETSUITE_ACCOUNT_ID"], signature_method="HMAC-SHA256")
    retry = Retry(total=retries, backoff_factor=0.5, status_forcelist=(429, 500, 502, 503, 504),
                  allowed_methods=None, respect_retry_after_header=True)
    http.mount("http://", HTTPAdapter(max_retries=retry))
    http.mount("https://", HTTPAdapter(max_retries=retry))
    http.headers.update({"Content-Type": "application/json", "Accept": "application/json"})
    return http


def _root() -> str:
    return os.environ["ACCORD_NETSUITE_BASE_URL"].rstrip("/") + "/services/rest/record/v1"


def _upsert(http: requests.Session, record_type: str, external_id: str,
            body: dict[str, Any]) -> str:
    response = http.put(f"{_root()}/{record_type}/eid:{external_id}", json=body, timeout=10)
    response.raise_for_status()
    return str(response.headers.get("Location", "")).rstrip("/").rsplit("/", 1)[-1]


def post_invoice_event(http: requests.Session, event: dict[str, Any]) -> str:
    """Customer, then invoice, for one ``invoice.finalized`` event; the invoice's id."""
    invoice = event["data"]["object"]
    _upsert(http, "customer", invoice["customer"], {
        "companyName": invoice["customer_name"], "subsidiary": {"id": SUBSIDIARY},
        "currency": {"id": CURRENCY}})
    amount = str(Decimal(invoice["total"]).scaleb(-2))
    lines = [{"item": {"id": ITEM}, "description": line["description"],
              "quantity": line["quantity"], "rate": amount, "amount": amount}
             for line in invoice["lines"]["data"]]
    return _upsert(http, "invoice", invoice["id"], {
        "tranId": invoice["number"], "entity": {"externalId": invoice["customer"]},
        "subsidiary": {"id": SUBSIDIARY}, "currency": {"id": CURRENCY},
        "tranDate": _date(invoice["created"]), "item": {"items": lines}})


def _date(epoch: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC).date().isoformat()
