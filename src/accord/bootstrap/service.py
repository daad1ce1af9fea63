"""The one start-up path: ``accord serve``, ``accord worker``, the demo's service and the
tests all build a :class:`Deployment` from the settings and start it here.

:func:`prepare` reads the configuration once: the systems and their settings (every
connector, every routing target, every ``[systems.<name>]`` table), a client for each
configured one, and the schedules. :func:`start` installs the clients for the flows,
launches the engine with the product's flows registered (importing :mod:`accord.flows`
registers them, and their healers) and writes the schedules. :func:`stop` undoes it.
Nothing else installs systems or launches the engine for the product.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import accord.flows  # noqa: F401 - registers the product's flows and healers
from accord.bootstrap.config import system_settings
from accord.bootstrap.schedules import begin_streams, build_schedules
from accord.bootstrap.systems import ClientOptions, build_systems
from accord.engine.context import Runtime
from accord.engine.runtime import EngineOptions, launch, options_from_settings, shutdown
from accord.engine.schedules import Schedule
from accord.flows.systems import FlowSettings, Systems, install, shipped_mappings
from accord.observability import tracing
from accord.observability.settings import observability_settings
from accord.refdata.versions import live_mappings
from accord.routing import RoutingTable, load_routing
from accord.settings import (
    AccordSettings,
    ConfigFileError,
    SystemSettings,
    load_settings,
    read_config_file,
)


@dataclass(frozen=True)
class Missing:
    """An enabled system without the settings a connection needs."""

    system: str
    fix: str


@dataclass
class Deployment:
    """What the settings describe, built and ready to start."""

    settings: AccordSettings
    config: Mapping[str, Any]
    routing: RoutingTable
    system_settings: dict[str, SystemSettings]
    systems: Systems
    schedules: tuple[Schedule, ...]

    def missing(self) -> list[Missing]:
        """Systems the deployment needs - a routing target or a ``[systems.<name>]`` table -
        that lack their credentials (a connector merely installed, such as a second CRM
        nobody configured, is not missing)."""
        tables = self.config.get("systems", {})
        wanted = {target for rule in self.routing.rules for target in rule.targets.values()}
        wanted |= {str(name) for name in tables} if isinstance(tables, Mapping) else set()
        return [Missing(name, found.missing) for name, found in self.system_settings.items()
                if found.enabled and not found.configured and name in wanted]

    def close(self) -> None:
        tracing.flush()
        self.systems.close()


def prepare(settings: AccordSettings | None = None, *, config: Mapping[str, Any] | None = None,
            overrides: Mapping[str, Mapping[str, Any]] | None = None,
            flow_settings: FlowSettings | None = None,
            client_options: ClientOptions | None = None) -> Deployment:
    """Build the deployment from ``settings`` and the configuration file (or ``config``);
    ``overrides`` gives system settings by name that win over the file (tests)."""
    chosen = settings or load_settings()
    data = dict(read_config_file() if config is None else config)
    tracing.configure(chosen.effective_database_url, observability_settings(data))
    routing = load_routing()
    configured = system_settings(data, routing, overrides)
    found = build_systems(configured, routing,
                          flow_settings=flow_settings or flow_settings_from(data),
                          client_options=client_options)
    try:
        schedules = build_schedules(data, found, configured)
    except BaseException:
        found.close()
        raise
    return Deployment(settings=chosen, config=data, routing=routing,
                      system_settings=configured, systems=found, schedules=schedules)


def flow_settings_from(config: Mapping[str, Any]) -> FlowSettings:
    """The flows' tunables from the ``[flows]`` table (defaults where it is absent)::

        [flows]
        wait_interval = 5.0   # seconds between looks for a record a posting waits for
        wait_attempts = 60    # looks before the wait becomes an exception
    """
    table = config.get("flows", {})
    if not isinstance(table, Mapping):
        raise FlowSettingsError("flows: must be a table ([flows])")
    known = {f.name for f in dataclasses.fields(FlowSettings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise FlowSettingsError(f"flows.{unknown[0]}: not a setting (settings: "
                                f"{', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for name, value in table.items():
        kind = float if name == "wait_interval" else int
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 \
                or (kind is int and not isinstance(value, int)):
            raise FlowSettingsError(f"flows.{name}: must be a positive "
                                    f"{'number' if kind is float else 'whole number'}")
        values[name] = kind(value)
    return FlowSettings(**values)


class FlowSettingsError(ConfigFileError):
    """A ``[flows]`` setting is not valid; the message names it."""


@dataclass
class Service:
    deployment: Deployment
    runtime: Runtime


def engine_options(deployment: Deployment, *, schedules: bool = True,
                   **overrides: Any) -> EngineOptions:
    """The engine's options for ``deployment``: ``[engine]`` settings, its schedules (unless
    ``schedules`` is false: a process that must not touch them), then ``overrides``."""
    options = options_from_settings(deployment.settings, dict(deployment.config))
    values: dict[str, Any] = {"schedules": deployment.schedules if schedules else None}
    values.update(overrides)
    return dataclasses.replace(options, **values)


def start(deployment: Deployment, options: EngineOptions | None = None) -> Service:
    """Install the deployment's systems and launch the engine (recovering this worker's
    unfinished flows, registering the queues, writing the schedules)."""
    install(deployment.systems)
    try:
        runtime = launch(options or engine_options(deployment))
    except BaseException:
        install(None)
        raise
    deployment.systems.mappings = live_mappings(runtime.database)
    if runtime.options.schedules:
        begin_streams(runtime.database, runtime.options.schedules)
    return Service(deployment, runtime)


def stop(service: Service, *, drain_seconds: int = 0) -> None:
    """Stop the engine (letting running flows finish for ``drain_seconds``) and uninstall
    the systems; the deployment's clients stay open for its owner to close."""
    try:
        shutdown(drain_seconds=drain_seconds)
    finally:
        install(None)
        service.deployment.systems.mappings = shipped_mappings


@contextmanager
def running(deployment: Deployment, options: EngineOptions | None = None,
            *, drain_seconds: int = 0) -> Iterator[Service]:
    service = start(deployment, options)
    try:
        yield service
    finally:
        stop(service, drain_seconds=drain_seconds)


__all__ = ["Deployment", "FlowSettingsError", "Missing", "Service", "engine_options",
           "flow_settings_from", "prepare", "running", "start", "stop"]
