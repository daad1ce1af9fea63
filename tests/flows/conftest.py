"""The three sandboxes over real HTTP, and the service started on them through the product's
start-up path (:mod:`accord.bootstrap`), on SQLite."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from accord import bootstrap
from accord.bootstrap import ClientOptions, Deployment, sandbox_tables
from accord.engine import EngineOptions, Runtime
from accord.flows.systems import FlowSettings
from accord.resilience import RetryPolicy
from accord.routing import load_routing
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.settings import AccordSettings
from tests.flows.vendors import Vendors


@dataclass
class Sandboxes:
    stripe: RunningSandbox
    salesforce: RunningSandbox
    netsuite: RunningSandbox


@pytest.fixture
def sandboxes(tmp_path: Path) -> Iterator[Sandboxes]:
    stripe = start_in_thread(STRIPE, SandboxOptions(data_dir=tmp_path / "stripe",
                                                    settings={"rate_limit": 0}))
    salesforce = start_in_thread(SALESFORCE, SandboxOptions(data_dir=tmp_path / "sf"))
    netsuite = start_in_thread(NETSUITE, SandboxOptions(data_dir=tmp_path / "ns"))
    try:
        yield Sandboxes(stripe, salesforce, netsuite)
    finally:
        salesforce.server.force_exit = True
        for running in (stripe, salesforce, netsuite):
            running.stop()


class NoSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def sandbox_overrides(sandboxes: Sandboxes) -> dict[str, dict[str, Any]]:
    """Every system pointed at the test's sandboxes, as ``accord init --sandboxes`` does."""
    return sandbox_tables({"stripe": sandboxes.stripe.credentials(),
                           "salesforce": sandboxes.salesforce.credentials(),
                           "netsuite": sandboxes.netsuite.credentials()}, load_routing())


def sandbox_deployment(sandboxes: Sandboxes, database_url: str) -> Deployment:
    """The product's deployment on the test's sandboxes: systems from settings, as
    ``accord init --sandboxes`` writes them; clients that do not sleep between retries."""
    return bootstrap.prepare(
        AccordSettings(database_url=SecretStr(database_url)), config={},
        overrides=sandbox_overrides(sandboxes),
        flow_settings=FlowSettings(wait_interval=0.2, wait_attempts=50),
        client_options=ClientOptions(policy=RetryPolicy(max_attempts=4, base_delay=0),
                                     sleep=NoSleep()))


@pytest.fixture
def deployment(sandboxes: Sandboxes, sqlite_url: str) -> Iterator[Deployment]:
    found = sandbox_deployment(sandboxes, sqlite_url)
    try:
        yield found
    finally:
        found.close()


@pytest.fixture
def engine(deployment: Deployment, sqlite_url: str) -> Iterator[Runtime]:
    """The service started through the product's start-up path (no schedules: the tests
    run the polls themselves)."""
    options = EngineOptions(database_url=sqlite_url, sleep=NoSleep(), rng=random.Random(7),
                            worker_concurrency=8)
    with bootstrap.running(deployment, options) as service:
        yield service.runtime


MakeSystems = Callable[..., Vendors]


@pytest.fixture
def make_systems(deployment: Deployment) -> MakeSystems:
    """The deployment's systems (the running service's, with ``engine``); ``settings``
    replaces the flows' tunables."""

    def make(settings: FlowSettings | None = None) -> Vendors:
        found = deployment.systems
        if settings is not None:
            found.settings = settings
        return Vendors(found)

    return make
