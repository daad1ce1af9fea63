"""Engine test fixtures: the effects server and a launched engine on a fresh database."""

from __future__ import annotations

import random
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import batch_support  # noqa: F401 - registers the batching test flow
import dispatch_support  # noqa: F401 - registers the dispatch test flow
import engine_support_flows
import failure_support  # noqa: F401 - registers the unrecorded-failure test flows
from engine_support_server import EFFECTS, STATES, EffectsState

from accord.engine import EngineOptions, Runtime, launch, shutdown
from accord.sandboxes.base import SandboxOptions
from accord.sandboxes.server import RunningSandbox, start_in_thread


class Effects:
    def __init__(self, running: RunningSandbox, state: EffectsState) -> None:
        self.running = running
        self.state = state
        self.base_url = running.base_url


@pytest.fixture
def effects(tmp_path: Path) -> Iterator[Effects]:
    options = SandboxOptions(data_dir=tmp_path / "effects")
    running = start_in_thread(EFFECTS, options)
    engine_support_flows.use_server(running.base_url)
    try:
        yield Effects(running, STATES[str(options.data_dir)])
    finally:
        engine_support_flows.use_server(None)
        running.stop()


class SleepRecorder:
    """Injected in place of time.sleep: records waits, never sleeps."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


EngineFactory = Callable[..., Runtime]


@pytest.fixture
def engine_factory(effects: Effects, sleeps: SleepRecorder) -> Iterator[EngineFactory]:
    """Launch the engine on a given database with option overrides; shut down after."""

    def make(database_url: str, **overrides: Any) -> Runtime:
        values: dict[str, Any] = {"database_url": database_url, "sleep": sleeps,
                                  "rng": random.Random(7), "worker_concurrency": 8}
        values.update(overrides)
        return launch(EngineOptions(**values))

    try:
        yield make
    finally:
        shutdown()


@pytest.fixture
def engine(database_url: str, engine_factory: EngineFactory) -> Runtime:
    return engine_factory(database_url)
