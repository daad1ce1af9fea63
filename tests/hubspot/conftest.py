"""Fixtures: one HubSpot sandbox per module over real HTTP, reset before each test, and
``hubspot-api-client`` pointed at it through its public ``host`` option."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.hubspot import DEFAULT_ACCESS_TOKEN, SANDBOX
from accord.sandboxes.server import RunningSandbox, start_in_thread
from hubspot import HubSpot


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path_factory.mktemp("hs")))
    yield running
    running.stop()


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.base_url}/__sandbox") as client:
        client.post("/reset").raise_for_status()
        yield client


@pytest.fixture
def hubspot(sandbox: RunningSandbox, control: httpx.Client) -> HubSpot:
    return HubSpot(access_token=DEFAULT_ACCESS_TOKEN, host=sandbox.base_url)
