"""One masking policy by field meaning: each field of a step's detail and of an exception,
as written by the engine's own producers, read back through the API and the console as a
viewer (masked personal data, redacted secrets) and as an operator (secrets only)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from accord.api.tokens import Access
from accord.engine.exception_queue import Problem, open_exception
from accord.engine.owners import OwnerRules
from accord.engine.timeline import StepOutcome, StepRecord, record_step
from accord.store.models import TimelineEntry
from tests.security.support import App, console_login

PERSONAL = "personal"
SECRET = "secret"
DETAIL = {
    "request": {"url": "https://billing.example/v1/customers?api_key=KEY-IN-URL-1&limit=1",
                "headers": {"Cookie": "sid=COOKIE-VALUE-2", "Accept": "application/json"}},
    "customer": {"name": "Jane Roebuck", "legal_name": "Roebuck Trading Ltd"},
    "billing": {"street": "17 Larkspur Lane", "city": "Springfield", "postal_code": "PX9 4QT"},
    "sessionId": "SESSION-VALUE-3",
    "ssn": "987-65-4321",
    "iban": "DE89370400440532013000",
    "contactEmail": "jane.roebuck@roebuck.example",
}
FIELDS = [  # (what the test names, the raw value, its class)
    ("api_key in a URL", "KEY-IN-URL-1", SECRET),
    ("Cookie header", "COOKIE-VALUE-2", SECRET),
    ("sessionId (camelCase)", "SESSION-VALUE-3", SECRET),
    ("customer name", "Jane Roebuck", PERSONAL),
    ("billing street", "17 Larkspur Lane", PERSONAL),
    ("billing city", "Springfield", PERSONAL),
    ("billing postal code", "PX9 4QT", PERSONAL),
    ("ssn", "987-65-4321", PERSONAL),
    ("iban", "DE89370400440532013000", PERSONAL),
    ("e-mail (camelCase key)", "jane.roebuck@roebuck.example", PERSONAL),
]
ERROR = {"code": "data_quality", "field": "email", "owner": "master_data",
         "reason": "billing refused customer jane.roebuck@roebuck.example",
         "detail": "Jane Roebuck at 17 Larkspur Lane already exists",
         "context": {"api_key": "KEY-IN-ERROR-4", "request_id": "req_1"}}
EXCEPTION_FIELDS = [
    ("reason: e-mail", "jane.roebuck@roebuck.example", PERSONAL),
    ("system_said / error.detail: name", "Jane Roebuck", PERSONAL),
    ("system_said / error.detail: street", "17 Larkspur Lane", PERSONAL),
    ("error.context.api_key", "KEY-IN-ERROR-4", SECRET),
]


def _step(app: App) -> int:
    record_step(app.db, StepRecord(
        correlation_id="stripe:evt_mask", workflow_id="wf-mask", flow="account_sync",
        step="billing.upsert_customer", system="stripe", action="upsert_customer",
        outcome=StepOutcome.FAILED, attempt=1, latency_ms=5, detail=DETAIL))
    with app.db.session() as session:
        return int(session.scalar(select(TimelineEntry.id)) or 0)


def _exception(app: App) -> int:
    return open_exception(app.db, OwnerRules(), Problem(
        error=ERROR, correlation_id="stripe:evt_mask", workflow_id="wf-mask",
        flow="account_sync", step="billing.upsert_customer", system="stripe",
        entity="customer", record_ref="cus_mask"))


def _seen(app: App, role: Access, step_id: int, exception_id: int) -> list[str]:
    """Every API answer and console page showing the step and the exception."""
    headers = app.auth(role)
    answers = [app.client.get(f"/v1/timeline/steps/{step_id}", headers=headers).text,
               app.client.get(f"/v1/exceptions/{exception_id}", headers=headers).text,
               app.client.get("/v1/exceptions", headers=headers).text,
               app.client.get("/v1/timeline", params={"q": "stripe:evt_mask"},
                              headers=headers).text]
    console_login(app, role)
    pages = [app.client.get(f"/console/timeline/steps/{step_id}").text,
             app.client.get(f"/console/exceptions/{exception_id}").text,
             app.client.get("/console/exceptions").text]
    assert all("Internal Server Error" not in text for text in answers + pages)
    return answers + pages


@pytest.mark.parametrize(("field", "raw", "kind"), FIELDS + EXCEPTION_FIELDS,
                         ids=[field for field, _raw, _kind in FIELDS + EXCEPTION_FIELDS])
def test_a_field_is_masked_for_viewers_and_secrets_for_everyone(
        app: App, field: str, raw: str, kind: str) -> None:
    step_id, exception_id = _step(app), _exception(app)
    for text in _seen(app, Access.VIEWER, step_id, exception_id):
        assert raw not in text, field
    operator = " ".join(_seen(app, Access.OPERATOR, step_id, exception_id))
    assert (raw in operator) is (kind == PERSONAL), field


def test_what_is_neither_personal_nor_secret_stays_visible(app: App) -> None:
    step_id, exception_id = _step(app), _exception(app)
    viewer = " ".join(_seen(app, Access.VIEWER, step_id, exception_id))
    for shown in ("Roebuck Trading Ltd", "application/json", "req_1", "billing refused"):
        assert shown in viewer
