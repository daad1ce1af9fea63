"""Fixtures: one Salesforce sandbox per module over real HTTPS, reset before each test, and
simple-salesforce clients that trust the sandbox's CA."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from simple_salesforce import Salesforce
from tests.sandboxes.contract import RECORDER, run_last

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.salesforce import SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread


class CaSession(requests.Session):
    """A session whose ``verify`` wins over REQUESTS_CA_BUNDLE in the environment."""

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any,
                                   cert: Any) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings["verify"] = self.verify
        return settings


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # the contract test judges what the other tests recorded, so it runs after them
    run_last(items, Path(__file__).parent / "test_contract.py")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path_factory.mktemp("sf"),
                                                      recorder=RECORDER))
    yield running
    # requests leaves TLS connections half-closed; do not wait for them on shutdown
    running.server.force_exit = True
    running.stop()


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[requests.Session]:
    session = CaSession()
    session.verify = sandbox.credentials()["ca_cert"]
    session.post(f"{sandbox.base_url}/__sandbox/reset").raise_for_status()
    yield session
    session.close()


@pytest.fixture
def make_sf(sandbox: RunningSandbox, control: requests.Session
            ) -> Iterator[Callable[..., Salesforce]]:
    sessions: list[requests.Session] = []

    def make(session_id: str | None = None, **kwargs: Any) -> Salesforce:
        creds = sandbox.credentials()
        session = CaSession()
        session.verify = creds["ca_cert"]
        sessions.append(session)
        return Salesforce(instance_url=creds["instance_url"],
                          session_id=session_id or creds["session_id"],
                          version=creds["api_version"], session=session, **kwargs)

    yield make
    for session in sessions:
        session.close()


@pytest.fixture
def sf(make_sf: Callable[..., Salesforce]) -> Salesforce:
    return make_sf()


def control_url(sandbox: RunningSandbox, path: str) -> str:
    return f"{sandbox.base_url}/__sandbox{path}"
