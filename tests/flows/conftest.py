"""The three sandboxes over real HTTP, clients wired to them, and the engine on SQLite."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import accord.flows  # noqa: F401 - registers the flows before the engine launches
from accord.engine import EngineOptions, Runtime, launch, shutdown
from accord.flows.local import local_systems
from accord.flows.systems import FlowSettings, Systems, install
from accord.resilience import RetryPolicy
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE


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


MakeSystems = Callable[..., Systems]


@pytest.fixture
def make_systems(sandboxes: Sandboxes) -> Iterator[MakeSystems]:
    made: list[Systems] = []

    def make(**overrides: Any) -> Systems:
        values: dict[str, Any] = {
            "settings": FlowSettings(wait_interval=0.2, wait_attempts=50, use_test_clocks=True),
            "sleep": NoSleep(), "policy": RetryPolicy(max_attempts=4, base_delay=0)}
        values.update(overrides)
        found = local_systems(
            stripe={**sandboxes.stripe.credentials(), "base_url": sandboxes.stripe.base_url},
            salesforce=sandboxes.salesforce.credentials(),
            netsuite={**sandboxes.netsuite.credentials(),
                      "base_url": sandboxes.netsuite.base_url}, **values)
        made.append(found)
        install(found)
        return found

    yield make
    install(None)
    for found in made:
        found.close()


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Runtime]:
    runtime = launch(EngineOptions(database_url=sqlite_url, sleep=NoSleep(),
                                   rng=random.Random(7), worker_concurrency=8))
    try:
        yield runtime
    finally:
        shutdown()
