"""Re-delivering every Stripe webhook (signed, over HTTP, twice, to the API's
``POST /hooks/stripe``) after the month changes nothing: the inbox recognises each event and
no flow writes anything new."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
from dbos import DBOS
from pydantic import SecretStr
from sqlalchemy import func, select

from accord.api import create_app
from accord.connectors.stripe.client import Kind
from accord.connectors.stripe.settings import StripeSettings
from accord.engine.dispatch import pump
from accord.engine.inbox import jsonable
from accord.flows.systems import Systems
from accord.sandboxes.server import serve_in_thread
from accord.sandboxes.stripe.webhooks import signature_header
from accord.settings import load_settings
from accord.store.models import InboxDelivery

from .month import run_month
from .test_month import _netsuite_state

SECRET = "whsec_test_redelivery"


def test_redelivered_webhooks_change_nothing(engine, make_systems) -> None:
    found: Systems = make_systems()
    run_month(engine.database, found)
    before = _netsuite_state(found)
    events = [jsonable(event) for event in found.stripe.iterate(Kind.EVENTS)]
    assert events

    # the product's intake, sharing the engine running in this process
    app = create_app(load_settings(), engine.database, system_settings={
        "stripe": StripeSettings(webhook_secret=SecretStr(SECRET))})
    server = serve_in_thread(app, name="api")
    hook = f"http://127.0.0.1:{server.port}/hooks/stripe"
    receipts = []
    try:
        with httpx.Client(timeout=30) as http:
            for _ in range(2):
                for event in reversed(events):
                    body = json.dumps(event).encode()
                    signed = signature_header(SECRET, body, int(datetime.now(UTC).timestamp()))
                    answer = http.post(hook, content=body,
                                       headers={"Stripe-Signature": signed,
                                                "Content-Type": "application/json"})
                    assert answer.status_code == 200, answer.text  # 200: already stored
                    receipts.append(answer.json())
            forged = http.post(hook, content=b"{}",
                               headers={"Stripe-Signature": "t=1,v1=00"})
            assert forged.status_code == 400
    finally:
        server.stop()

    pump(engine.database, now=datetime.now(UTC) + timedelta(seconds=5))
    for status in DBOS.list_workflows(status=["PENDING", "ENQUEUED"], load_input=False,
                                      load_output=False):
        DBOS.retrieve_workflow(status.workflow_id).get_result()
    assert len(receipts) == 2 * len(events)
    assert all(receipt["duplicate"] for receipt in receipts)
    assert _netsuite_state(found) == before
    with engine.database.session() as session:
        duplicates = session.scalar(select(func.count()).select_from(InboxDelivery).where(
            InboxDelivery.duplicate.is_(True)))
    assert duplicates is not None
    assert duplicates >= 2 * len(events)  # every event was already in the inbox
