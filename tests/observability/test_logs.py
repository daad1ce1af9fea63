"""Structured logs of a real run: a good and a refused deal through the flows, logged the
way ``accord serve`` and ``accord worker`` log. Every line is a JSON object; the lines
inside a flow carry its trace id and correlation id; no seeded e-mail, name, tax id or
credential appears anywhere."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from accord import bootstrap
from accord.observability.logs import DBOS_HANDLER, HANDLER_NAME, configure_logging, mask
from accord.observability.spanstore import traces_of
from tests.flows.conftest import Sandboxes, sandbox_overrides
from tests.flows.vendors import Vendors

from .support import win


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    root, dbos = logging.getLogger(), logging.getLogger("dbos")
    level, dbos_handlers, dbos_propagates = root.level, list(dbos.handlers), dbos.propagate
    buffer = io.StringIO()
    configure_logging("INFO", stream=buffer)
    try:
        yield buffer
    finally:
        for handler in [h for h in root.handlers if h.name == HANDLER_NAME]:
            root.removeHandler(handler)
        for handler in [h for h in dbos.handlers if h.name == DBOS_HANDLER]:
            dbos.removeHandler(handler)
        for handler in dbos_handlers:
            dbos.addHandler(handler)
        root.setLevel(level)
        dbos.propagate = dbos_propagates


def _secrets(sandboxes: Sandboxes) -> set[str]:
    found = set()
    for settings in sandbox_overrides(sandboxes).values():
        for name, value in settings.items():
            if any(word in name for word in ("key", "secret", "token", "session", "password")):
                found.add(str(value))
    return {value for value in found if len(value) >= 8}


def test_logs_are_json_with_trace_ids_and_nothing_personal(
        traced_engine: tuple[bootstrap.Service, Vendors], sandboxes: Sandboxes,
        captured: io.StringIO) -> None:
    service, found = traced_engine
    won = win(service, found, bad=1)
    assert len(won.failures) == 1
    logging.getLogger("accord.test").warning("payload was %s", {
        "email": "someone@example.com", "api_key": "sk_test_abcdefghijklmnop"})

    text = captured.getvalue()
    lines = [json.loads(line) for line in text.splitlines()]
    assert lines, "a real run logs"
    assert all({"timestamp", "level", "event", "logger"} <= set(line) for line in lines)
    flows = [line for line in lines if line["event"] in ("flow finished", "flow failed")]
    assert {line["event"] for line in flows} == {"flow finished", "flow failed"}
    database = service.runtime.database
    for line in flows:
        assert line["trace_id"] in traces_of(database, [line["correlation_id"]])
        assert len(line["span_id"]) == 16

    seeded = set()
    for account in won.scenario.accounts:
        seeded |= {account.billing_email, account.legal_name}
        if account.tax_id:
            seeded.add(account.tax_id)
    leaked = sorted(value for value in seeded | _secrets(sandboxes) | {
        "someone@example.com", "sk_test_abcdefghijklmnop"} if value in text)
    assert leaked == []
    assert mask("mail someone@example.com") == "mail [email]"
