"""NetSuite sandbox fixtures: a running sandbox and clients that sign like real ones."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.netsuite.signing import authlib_auth
from tests.sandboxes.contract import RECORDER, run_last

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread


def exact_dumps(value: Any) -> str:
    """JSON with ``Decimal`` written as the exact number it holds (never through float)."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return "{" + ",".join(f"{json.dumps(str(k))}:{exact_dumps(v)}"
                              for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ",".join(exact_dumps(v) for v in value) + "]"
    return json.dumps(value)


class ExactClient(httpx.Client):
    """An httpx client whose ``json=`` keeps Decimal amounts exact."""

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        body = kwargs.pop("json", None)
        if body is not None:
            kwargs["content"] = exact_dumps(body).encode()
        return super().build_request(method, url, **kwargs)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the contract test judges what the other tests recorded, so it runs after them
    run_last(items, Path(__file__).parent / "test_contract.py")


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path, recorder=RECORDER))
    yield running
    running.stop()


@pytest.fixture
def creds(sandbox: RunningSandbox) -> dict[str, str]:
    return sandbox.credentials()


@pytest.fixture
def ns(sandbox: RunningSandbox, creds: dict[str, str]) -> Iterator[httpx.Client]:
    """Signed by authlib; base URL is ``.../services/rest``."""
    with ExactClient(base_url=f"{sandbox.base_url}/services/rest", auth=authlib_auth(creds),
                      headers={"Content-Type": "application/json"}, timeout=30) as client:
        yield client


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.base_url}/__sandbox", timeout=30) as client:
        yield client


def created_id(response: httpx.Response) -> str:
    assert response.status_code == 204, response.text
    return response.headers["Location"].rsplit("/", 1)[1]


def error_of(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) >= {"type", "title", "status", "o:errorDetails"}
    assert body["status"] == response.status_code
    detail: dict[str, Any] = body["o:errorDetails"][0]
    return detail


# -- connector fixtures --------------------------------------------------------------------
@pytest.fixture
def settings(sandbox: RunningSandbox, creds: dict[str, str]) -> Any:
    from accord.connectors.netsuite.settings import NetSuiteSettings

    return NetSuiteSettings(base_url=sandbox.base_url, account_id=creds["account_id"],
                            consumer_key=creds["consumer_key"],
                            consumer_secret=creds["consumer_secret"],
                            token_id=creds["token_id"], token_secret=creds["token_secret"])


class Sleeps:
    """An injected sleep: records the back-off instead of waiting."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def client(settings: Any, sleeps: Sleeps) -> Iterator[Any]:
    from accord.connectors.netsuite.client import NetSuiteClient

    with NetSuiteClient(settings, sleep=sleeps) as connector_client:
        yield connector_client


@pytest.fixture
def ref() -> Any:
    from accord.connectors.netsuite.refdata import load_refdata

    return load_refdata()


@pytest.fixture
def poster(client: Any, ref: Any) -> Any:
    from accord.connectors.netsuite.posting import NetSuitePoster

    return NetSuitePoster(client, ref)
