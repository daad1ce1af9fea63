"""Fixtures: one AvaTax sandbox per module over real HTTP, reset before each test, and the
official ``avalara`` client pointed at it through its ``environment`` argument."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from avalara.client import AvataxClient

from accord.sandboxes.avatax import DEFAULT_ACCOUNT_ID, DEFAULT_LICENSE_KEY, SANDBOX
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path_factory.mktemp("ava")))
    yield running
    running.stop()


@pytest.fixture
def control(sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{sandbox.base_url}/__sandbox") as client:
        client.post("/reset").raise_for_status()
        yield client


def client_for(sandbox: RunningSandbox, license_key: str = DEFAULT_LICENSE_KEY
               ) -> AvataxClient:
    return AvataxClient("accord-tests", "1.0", "localhost", sandbox.base_url
                        ).add_credentials(DEFAULT_ACCOUNT_ID, license_key)


@pytest.fixture
def avatax(sandbox: RunningSandbox, control: httpx.Client) -> AvataxClient:
    return client_for(sandbox)
