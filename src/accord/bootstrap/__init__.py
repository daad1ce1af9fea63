"""The one start-up path: settings -> systems, flows, engine and schedules.

``accord serve``, ``accord worker``, the demo's service and the tests all go through
:func:`prepare` and :func:`start` (:mod:`accord.bootstrap.service`).
"""

from accord.bootstrap.config import UnknownSystemError, instance_settings, system_settings
from accord.bootstrap.sandboxes import sandbox_tables
from accord.bootstrap.service import (
    Deployment,
    Missing,
    Service,
    engine_options,
    prepare,
    running,
    start,
    stop,
)
from accord.bootstrap.systems import ClientOptions, build_systems

__all__ = [
    "ClientOptions",
    "Deployment",
    "Missing",
    "Service",
    "UnknownSystemError",
    "build_systems",
    "engine_options",
    "instance_settings",
    "prepare",
    "running",
    "sandbox_tables",
    "start",
    "stop",
    "system_settings",
]
