"""Owners told, over a real local SMTP server (aiosmtpd) and a local webhook receiver.

A deal with a planted defect, won in the CRM sandbox, becomes an exception for master
data through the real flow; left unhandled past its SLA, one pass of the notifier sends
exactly one e-mail to the owner, one escalation and one webhook message, records them
(visible on the exception in the console and in the API's answer), and a later pass sends
nothing more. The same holds through a running service (``accord serve`` and the sandboxes
as processes), where the scheduled notification job sends them and a deal won without
products is the planted exception. A burst of exceptions goes as one digest per channel."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from accord import bootstrap
from accord.api.app import create_app
from accord.api.masking import MASK
from accord.api.tokens import Access, create_token
from accord.demo.environment import Layout, start
from accord.engine.exception_queue import Problem, open_exception
from accord.engine.owners import OwnerRules
from accord.errors import DataQualityError, Team
from accord.notify import notification_settings, notify
from accord.observability.slas import BusinessHours, slas_of
from accord.settings import AccordSettings
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord, Notification
from tests.flows.vendors import Vendors
from tests.service.deals import eventually, salesforce

from .receivers import Received, receiver
from .support import win


@dataclass
class Inbox:
    messages: list[tuple[list[str], Message]] = field(default_factory=list)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Inbox]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


@pytest.fixture
def hooks() -> Iterator[tuple[str, Received]]:
    with receiver() as found:
        yield found


def _config(port: int, hook_url: str, owner: str, **extra: Any) -> dict[str, Any]:
    return {"slas": {"exceptions": {owner: {"hours": 1}}},
            "notifications": {
                "console_url": "http://accord.test", **extra,
                "smtp": {"host": "127.0.0.1", "port": port, "sender": "accord@example.test"},
                "webhooks": {"team-room": hook_url},
                "owners": {owner: {"email": ["team@example.test"], "webhook": "team-room",
                                   "escalate_email": ["lead@example.test"]}}}}


def test_an_exception_past_its_sla_is_told_once_escalated_once_and_recorded(
        traced_engine: tuple[bootstrap.Service, Vendors], smtp: tuple[int, Inbox],
        hooks: tuple[str, Received]) -> None:
    service, found = traced_engine
    database = service.runtime.database
    won = win(service, found, bad=1)
    assert len(won.failures) == 1
    with database.session() as session:
        planted = session.scalars(select(ExceptionRecord)).one()
        opened_at, exception_id = planted.created_at, planted.id
    assert planted.owner == Team.MASTER_DATA.value

    config = _config(smtp[0], f"{hooks[0]}/team-room", Team.MASTER_DATA.value)
    settings, slas = notification_settings(config), slas_of(config)
    first = notify(database, settings, slas, opened_at + timedelta(hours=2))
    again = notify(database, settings, slas, opened_at + timedelta(hours=5))

    assert (first.sent, first.failed) == (3, 0)
    assert (again.sent, again.failed) == (0, 0)
    inbox = smtp[1].messages
    assert sorted(to for to, _ in inbox) == [["lead@example.test"], ["team@example.test"]]
    told = next(message for to, message in inbox if to == ["team@example.test"])
    assert f"exception past its SLA {exception_id}" in told["Subject"]
    assert f"http://accord.test/console/exceptions/{exception_id}" in told.get_payload()
    escalated = next(message for to, message in inbox if to == ["lead@example.test"])
    assert escalated["Subject"].startswith("[accord] escalation")
    assert len(hooks[1].bodies) == 1
    assert f"exception past its SLA {exception_id}" in hooks[1].bodies[0]["text"]

    with database.session() as session:
        rows = session.execute(select(Notification.reason, Notification.channel,
                                      Notification.status, Notification.exception_id)).all()
    assert sorted(tuple(row) for row in rows) == [
        ("breach", "email", "sent", exception_id), ("breach", "webhook", "sent", exception_id),
        ("escalation", "email", "sent", exception_id)]

    with database.session() as session:
        token = create_token(session, "auditor", Access.VIEWER)
    app = create_app(AccordSettings(database_url=SecretStr(str(database.engine.url))),
                     database)
    with TestClient(app, headers={"Origin": "http://testserver"}) as client:
        client.post("/console/login", data={"token": token}, follow_redirects=False)
        page = client.get(f"/console/exceptions/{exception_id}").text
        answer = client.get(f"/v1/exceptions/{exception_id}",
                            headers={"Authorization": f"Bearer {token}"}).json()
    assert 'data-reason="escalation" data-channel="email"' in page
    assert 'data-reason="breach" data-channel="webhook"' in page
    # the API's answer records them too; a viewer sees no address
    assert sorted((n["reason"], n["channel"], n["recipient"]) for n in
                  answer["notifications"]) == [("breach", "email", MASK),
                                               ("breach", "webhook", "team-room"),
                                               ("escalation", "email", MASK)]
    assert "example.test" not in page


def test_a_burst_goes_as_one_digest_per_channel(tmp_path: Path, smtp: tuple[int, Inbox],
                                                hooks: tuple[str, Received]) -> None:
    database = Database(f"sqlite:///{tmp_path / 'accord.db'}")
    upgrade(database.engine)
    owner = Team.FINANCE_OPERATIONS
    for number in range(4):
        error = DataQualityError("tax_code", f"invoice {number} has no tax code", owner=owner)
        open_exception(database, OwnerRules(), Problem(
            error=error.to_record(), correlation_id=f"billing:evt_{number}",
            workflow_id=f"wf-{number}", flow="invoice_posting", step="erp.post_invoice",
            system="erp", entity="invoice_number", record_ref=f"INV-{number}"))
    config = _config(smtp[0], f"{hooks[0]}/team-room", owner.value, digest_threshold=3)
    settings, slas = notification_settings(config), slas_of(config)
    now = datetime.now(UTC)
    first = notify(database, settings, slas, now)
    again = notify(database, settings, slas, now + timedelta(minutes=1))
    database.dispose()

    assert (first.sent, again.sent) == (2, 0)
    assert [to for to, _ in smtp[1].messages] == [["team@example.test"]]
    assert smtp[1].messages[0][1]["Subject"] == "[accord] 4 notices for finance_operations"
    assert len(hooks[1].bodies) == 1
    assert hooks[1].bodies[0]["text"].count("new exception") == 4


def test_business_hours_count_only_the_working_week() -> None:
    week = BusinessHours(start=9, end=17, timezone="UTC")
    friday_four = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    monday_ten = datetime(2026, 12, 7, 10, 30, tzinfo=UTC)
    assert week.elapsed(friday_four, monday_ten) == timedelta(hours=2, minutes=30)


# -- through the real service ---------------------------------------------------------------
NOTIFY_SCHEDULE = "notify.owners"
SLA_HOURS = 0.001
"""3.6 s: the planted exception is past it before the first pass looks."""


def _service_config(port: int, hook_url: str, owner: str) -> str:
    """The tables an operator adds to ``accord.toml``. The notification job fires only when
    run from the API here (once a year on its own), so each pass is one the test asked
    for and the first sees the exception already past its SLA."""
    return f"""
[slas.exceptions.{owner}]
hours = {SLA_HOURS}

[notifications]
console_url = "http://accord.test"

[notifications.smtp]
host = "127.0.0.1"
port = {port}
sender = "accord@example.test"

[notifications.webhooks]
team-room = "{hook_url}"

[notifications.owners.{owner}]
email = ["team@example.test"]
webhook = "team-room"
escalate_email = ["lead@example.test"]

[schedules."{NOTIFY_SCHEDULE}"]
cron = "0 0 0 1 1 *"
"""


def _deal_without_products(sf: Any) -> str:
    """A deal won in the CRM with no product on it: the flow refuses it for revenue
    operations."""
    account = sf.Account.create({
        "Name": "Lonely Inc.", "Type": "Customer - Direct", "BillingStreet": "1 Main Street",
        "BillingCity": "Austin", "BillingCountry": "US", "Website": "https://lonely.example",
        "CurrencyIsoCode": "USD", "Legal_Entity__c": "US01",
        "Billing_Email__c": "billing@lonely.example"})["id"]
    today = datetime.now(UTC).date().isoformat()
    return str(sf.Opportunity.create({
        "Name": "lonely - nothing", "AccountId": account, "StageName": "Closed Won",
        "CloseDate": today, "CurrencyIsoCode": "USD", "Contract_Term_Months__c": 12,
        "Contract_Start_Date__c": today, "Legal_Entity__c": "US01",
        "Type": "New Business"})["id"])


def _run_pass(api: httpx.Client, previous: str | None) -> dict[str, Any]:
    """Fire the notification job from the API and wait for a worker to finish it."""
    api.post(f"/v1/schedules/{NOTIFY_SCHEDULE}/run").raise_for_status()

    def finished() -> dict[str, Any] | None:
        found: dict[str, Any] = api.get("/v1/schedules").json()[NOTIFY_SCHEDULE]
        done = found["last_run"] not in (None, previous) and found["last_outcome"] != "running"
        return found if done else None

    return eventually(finished, timeout=120, what="the notification pass")


@pytest.mark.timeout(900)  # sandboxes and the service start as processes
def test_the_service_tells_an_exception_past_its_sla_once_and_records_it(
        tmp_path: Path, smtp: tuple[int, Inbox], hooks: tuple[str, Received]) -> None:
    owner = Team.REVENUE_OPERATIONS.value

    def configure(path: Path) -> None:
        with path.open("a", encoding="utf-8") as config:
            config.write(_service_config(smtp[0], f"{hooks[0]}/team-room", owner))

    with start(tmp_path / "service", Layout(default_sandbox_ports=False, api_port=0),
               configure) as env, env.api() as api:
        opportunity = _deal_without_products(salesforce(env.credentials["salesforce"]))

        def planted() -> dict[str, Any] | None:
            rows = api.get("/v1/exceptions", params={"status": "open"}).json()
            return next((row for row in rows if row["record_ref"] == opportunity), None)

        exception = eventually(planted, timeout=120, what="the refused deal's exception")
        assert exception["owner"] == owner
        opened = datetime.fromisoformat(exception["created_at"])
        eventually(lambda: datetime.now(UTC) - opened > timedelta(hours=SLA_HOURS * 2),
                   timeout=60, what="the exception past its SLA")

        first = _run_pass(api, None)
        again = _run_pass(api, first["last_run"])
        answer = api.get(f"/v1/exceptions/{exception['id']}").json()

        page = _console_page(env.api_url, env.token, f"/console/exceptions/{exception['id']}")

    assert first["last_outcome"] == "ok"
    assert first["last_detail"] == "3 sent, 0 failed"
    assert again["last_detail"] == "0 sent, 0 failed"
    about = f"exception past its SLA {exception['id']}"
    inbox = smtp[1].messages
    assert sorted(to for to, _ in inbox) == [["lead@example.test"], ["team@example.test"]]
    told = next(message for to, message in inbox if to == ["team@example.test"])
    assert about in told["Subject"]
    escalated = next(message for to, message in inbox if to == ["lead@example.test"])
    assert escalated["Subject"].startswith("[accord] escalation")
    assert [about in body["text"] for body in hooks[1].bodies] == [True]

    # recorded on the exception: in the API's answer (an admin sees the addresses) ...
    recorded = sorted((n["reason"], n["channel"], n["recipient"], n["status"])
                      for n in answer["notifications"])
    assert recorded == [("breach", "email", "team@example.test", "sent"),
                        ("breach", "webhook", "team-room", "sent"),
                        ("escalation", "email", "lead@example.test", "sent")]
    assert all(hooks[0] not in str(n) for n in answer["notifications"])  # never the URL
    # ... and on its console page
    assert 'data-reason="breach" data-channel="email"' in page
    assert 'data-reason="breach" data-channel="webhook"' in page
    assert 'data-reason="escalation" data-channel="email"' in page


def _console_page(base: str, token: str, path: str) -> str:
    with httpx.Client(base_url=base, timeout=60, headers={"Origin": base}) as client:
        assert client.post("/console/login", data={"token": token}).status_code == 303
        answer = client.get(path)
        answer.raise_for_status()
        return answer.text
