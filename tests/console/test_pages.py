"""The exception page, its Retry action and the customer list over HTTP: who may act, what
happens without the engine, and what an empty or unknown page says."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.canonical.ids import EntityType
from accord.sandboxes.server import serve_in_thread
from accord.settings import load_settings
from accord.store import Database, upgrade
from accord.store.models import ExceptionRecord, GoldenRecord


@dataclass
class Console:
    base: str
    viewer: str
    operator: str
    exception_id: int


@pytest.fixture
def console(sqlite_url: str) -> Iterator[Console]:
    db = Database(sqlite_url)
    upgrade(db.engine)
    with db.session() as session:
        viewer = create_token(session, "auditor", Access.VIEWER)
        operator = create_token(session, "ops-lead", Access.OPERATOR)
        record = ExceptionRecord(fingerprint="f", kind="data_quality", owner="master_data",
                                 system="salesforce", reason="unknown SKU 'BW-LEGACY-GOLD'",
                                 field="sku", record_ref="006000000000001AAA",
                                 correlation_id="corr-9", workflow_id="wf-9",
                                 step="salesforce.validate_deal")
        session.add(record)
        for canonical_id, name, version in (("cus_b", "Beta GmbH", 1), ("cus_a", "Acme Inc", 1),
                                            ("cus_a", "Acme Incorporated", 2)):
            session.add(GoldenRecord(canonical_id=canonical_id,
                                     entity_type=EntityType.CUSTOMER.value, version=version,
                                     data={"legal_name": name, "currency": "USD"},
                                     field_sources={}))
        session.flush()
        exception_id = record.id
    server = serve_in_thread(create_app(load_settings(), db), name="console")
    yield Console(f"http://127.0.0.1:{server.port}", viewer, operator, exception_id)
    server.stop()
    db.dispose()


@contextmanager
def _signed_in(console: Console, token: str) -> Iterator[httpx.Client]:
    # a browser on the console sends its origin with every form
    with httpx.Client(base_url=console.base, timeout=30,
                      headers={"Origin": console.base}) as client:
        assert client.post("/console/login", data={"token": token}).status_code == 303
        yield client


def test_exception_page_shows_the_context_and_only_operators_may_retry(
        console: Console) -> None:
    with _signed_in(console, console.viewer) as viewer:
        page = viewer.get(f"/console/exceptions/{console.exception_id}")
        assert page.status_code == 200
        assert "unknown SKU &#39;BW-LEGACY-GOLD&#39;" in page.text
        assert "salesforce.validate_deal" in page.text
        assert "Retry" not in page.text  # a viewer sees no actions
        refused = viewer.post(f"/console/exceptions/{console.exception_id}/retry",
                              data={"note": "mapping added"})
        assert refused.status_code == 403
        assert viewer.get("/console/exceptions/999999").status_code == 404
    with _signed_in(console, console.operator) as operator:
        page = operator.get(f"/console/exceptions/{console.exception_id}")
        # no engine in this process: the page says where retry runs, the action says 503
        assert "accord exceptions retry" in page.text
        answer = operator.post(f"/console/exceptions/{console.exception_id}/retry",
                               data={"note": "mapping added"})
        assert answer.status_code == 503
        assert "engine is not running" in answer.text
        assert operator.post(f"/console/exceptions/{console.exception_id}/retry",
                             data={"note": ""}).status_code == 422


def test_customer_list_shows_the_current_version_by_name_and_searches(
        console: Console) -> None:
    with _signed_in(console, console.viewer) as viewer:
        page = viewer.get("/console/customers")
        assert page.status_code == 200
        assert page.text.index("Acme Incorporated") < page.text.index("Beta GmbH")
        assert "Acme Inc<" not in page.text  # only the current version
        found = viewer.get("/console/customers", params={"q": "beta"})
        assert 'data-id="cus_b"' in found.text
        assert 'data-id="cus_a"' not in found.text
        none = viewer.get("/console/customers", params={"q": "nobody"})
        assert "No customer matches" in none.text
    with httpx.Client(base_url=console.base, timeout=30) as anonymous:
        assert anonymous.get("/console/customers").headers["location"] == "/console/login"
