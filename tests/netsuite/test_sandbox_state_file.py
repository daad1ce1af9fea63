"""``--state-file``: records survive a restart, and balances are rebuilt from them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from pathlib import Path

import httpx
from tests.netsuite.conftest import ExactClient, created_id
from tests.netsuite.signing import authlib_auth
from tests.sandboxes.contract import RECORDER

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX
from accord.sandboxes.server import start_in_thread


def _client(base_url: str, creds: dict[str, str]) -> ExactClient:
    return ExactClient(base_url=f"{base_url}/services/rest", auth=authlib_auth(creds),
                       headers={"Content-Type": "application/json"}, timeout=30)


def test_records_survive_a_restart(tmp_path: Path) -> None:
    options = SandboxOptions(data_dir=tmp_path, state_file=tmp_path / "netsuite.db",
                             recorder=RECORDER)
    first = start_in_thread(SANDBOX, options)
    try:
        clock = httpx.get(f"{first.base_url}/__sandbox/clock").json()["now"]
        today = datetime.fromisoformat(clock).date().isoformat()
        creds = first.credentials()
        with _client(first.base_url, creds) as ns:
            customer = created_id(ns.post("/record/v1/customer", json={
                "companyName": "Durable", "subsidiary": {"id": "1"}, "externalId": "dur-1"}))
            invoice = created_id(ns.post("/record/v1/invoice", json={
                "entity": {"id": customer}, "tranDate": today,
                "item": {"items": [{"item": {"id": "201"}, "amount": 1000}]}}))
            created_id(ns.post("/record/v1/customerPayment", json={
                "customer": {"id": customer}, "tranDate": today, "payment": Decimal("400.50"),
                "apply": {"items": [{"doc": {"id": invoice}, "amount": Decimal("400.50")}]}}))
    finally:
        first.stop()
    second = start_in_thread(SANDBOX, options)
    try:
        with _client(second.base_url, second.credentials()) as ns:
            assert ns.get("/record/v1/customer/eid:dur-1").json()["id"] == customer
            restored = ns.get(f"/record/v1/invoice/{invoice}").json(parse_float=Decimal)
            assert restored["amountRemaining"] == Decimal("599.50")
            overpay = ns.post("/record/v1/customerPayment", json={
                "customer": {"id": customer}, "tranDate": today, "payment": 600,
                "apply": {"items": [{"doc": {"id": invoice}, "amount": 600}]}})
            assert overpay.status_code == 400
            another = created_id(ns.post("/record/v1/customer", json={
                "companyName": "Later", "subsidiary": {"id": "1"}}))
            assert int(another) > int(invoice)
            assert ns.get("/record/v1/subsidiary").json()["totalResults"] == 3
    finally:
        second.stop()
