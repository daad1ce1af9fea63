"""accord's durable engine, built on DBOS Transact: flows, steps, intake, limits, retry,
the exception queue, the timeline and replay."""

from accord.engine.context import Runtime, current
from accord.engine.failures import (
    EngineError,
    EngineNotRunning,
    FlowFailed,
    StepFailed,
    UnknownTarget,
)
from accord.engine.flow import FlowInput, StepCall, flow, run_flow, start_flow, step
from accord.engine.retry import RetryBudget
from accord.engine.runtime import (
    EngineOptions,
    launch,
    options_from_settings,
    running,
    shutdown,
)
from accord.engine.timeline import Milestone, StepOutcome

__all__ = [
    "EngineError",
    "EngineNotRunning",
    "EngineOptions",
    "FlowFailed",
    "FlowInput",
    "Milestone",
    "RetryBudget",
    "Runtime",
    "StepCall",
    "StepFailed",
    "StepOutcome",
    "UnknownTarget",
    "current",
    "flow",
    "launch",
    "options_from_settings",
    "run_flow",
    "running",
    "shutdown",
    "start_flow",
    "step",
]
