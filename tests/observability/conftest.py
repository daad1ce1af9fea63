"""A deployment on the flow tests' sandboxes with tracing exported to an in-process OTLP
collector, and a deal won through it (the producer the observability readers are tested
on)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from accord import bootstrap
from accord.bootstrap import ClientOptions
from accord.engine import EngineOptions
from accord.flows.systems import FlowSettings
from accord.observability import tracing
from accord.observability.settings import ObservabilitySettings
from accord.resilience import RetryPolicy
from accord.settings import AccordSettings
from tests.flows.conftest import NoSleep, Sandboxes, sandbox_overrides, sandboxes
from tests.flows.vendors import Vendors

from .receivers import Received, receiver

__all__ = ["collector", "sandboxes", "traced_engine"]


@pytest.fixture
def collector() -> Iterator[tuple[str, Received]]:
    with receiver() as found:
        yield found


@pytest.fixture
def traced_engine(sandboxes: Sandboxes, tmp_path: Path, collector: tuple[str, Received]
                  ) -> Iterator[tuple[bootstrap.Service, Vendors]]:
    url = f"sqlite:///{tmp_path / 'accord.db'}"
    config = {"observability": {"otlp_endpoint": f"{collector[0]}/v1/traces",
                                "export_interval_ms": 100}}
    deployment = bootstrap.prepare(
        AccordSettings(database_url=SecretStr(url)), config=config,
        overrides=sandbox_overrides(sandboxes),
        flow_settings=FlowSettings(wait_interval=0.2, wait_attempts=50),
        client_options=ClientOptions(policy=RetryPolicy(max_attempts=4, base_delay=0),
                                     sleep=NoSleep()))
    options = EngineOptions(database_url=url, sleep=NoSleep(), rng=random.Random(7),
                            worker_concurrency=4)
    try:
        with bootstrap.running(deployment, options) as service:
            yield service, Vendors(deployment.systems)
    finally:
        deployment.close()
        tracing.configure(None, ObservabilitySettings(local_traces=False))  # before the
        # collector stops: nothing is left to export to it



