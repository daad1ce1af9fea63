"""``accord doctor``: is this installation ready? Config, database, each system."""

from __future__ import annotations

import os
from dataclasses import dataclass

import typer
from rich.table import Table
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from accord.bootstrap.config import system_settings
from accord.bootstrap.guard import production_problems
from accord.cli.console import out
from accord.connectors import registry as connectors
from accord.connectors.base import ProbeResult, ProbeStatus, SetupCheck
from accord.engine.dispatch import event_types_for
from accord.routing import load_routing
from accord.settings import (
    AccordSettings,
    ConfigFileError,
    config_path,
    load_settings,
    read_config_file,
)
from accord.store import Database, current_revision, head_revision
from accord.store.environment import peek

_STYLE = {ProbeStatus.OK: "green", ProbeStatus.WARNING: "yellow", ProbeStatus.FAILED: "red"}


@dataclass(frozen=True)
class Check:
    name: str
    result: ProbeResult


def check_config() -> tuple[Check, AccordSettings | None]:
    path = config_path()
    try:
        settings = load_settings()
    except (ConfigFileError, ValueError) as exc:
        return Check("configuration", ProbeResult(ProbeStatus.FAILED, str(exc),
                                                  f"fix {path} or the ACCORD_* variables")), None
    source = f"{path}" if path.exists() else "defaults and environment (no accord.toml)"
    return Check("configuration", ProbeResult(ProbeStatus.OK, f"loaded from {source}")), settings


def check_data_dir(settings: AccordSettings) -> Check:
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return Check("data directory", ProbeResult(ProbeStatus.FAILED, str(exc),
                                                   "set ACCORD_DATA_DIR to a writable folder"))
    if not os.access(directory, os.W_OK):
        return Check("data directory", ProbeResult(ProbeStatus.FAILED, f"{directory} not writable",
                                                   "set ACCORD_DATA_DIR to a writable folder"))
    return Check("data directory", ProbeResult(ProbeStatus.OK, str(directory.resolve())))


def check_database(settings: AccordSettings) -> Check:
    shown = settings.display_database_url
    try:
        database = Database(settings.effective_database_url)
    except (SQLAlchemyError, ValueError) as exc:
        return Check("database", ProbeResult(ProbeStatus.FAILED, f"{shown}: {exc}",
                                             "check ACCORD_DATABASE_URL"))
    try:
        with database.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current = current_revision(database.engine)
    except SQLAlchemyError as exc:
        original = getattr(exc, "orig", None)
        reason = str(original) if original is not None else type(exc).__name__
        return Check("database", ProbeResult(ProbeStatus.FAILED, f"{shown}: {reason}",
                                             "start the database or fix ACCORD_DATABASE_URL"))
    finally:
        database.dispose()
    head = head_revision()
    if current != head:
        return Check("database", ProbeResult(
            ProbeStatus.WARNING, f"{shown}: schema at {current or 'none'}, newest is {head}",
            "run: accord db upgrade"))
    return Check("database", ProbeResult(ProbeStatus.OK, f"{shown} (schema {current})"))


def check_environment(settings: AccordSettings) -> list[Check]:
    """The environment: production settings naming no sandbox or test key, and a database
    made for this environment (or not marked yet)."""
    name = settings.environment.value
    checks = [Check("environment", ProbeResult(
        ProbeStatus.FAILED, f"production: {problem}",
        "point the system at the vendor's service with production credentials"))
        for problem in production_problems(
            settings, system_settings(read_config_file(), load_routing()))]
    try:
        database = Database(settings.effective_database_url)
    except (SQLAlchemyError, ValueError):
        return checks  # the database check says what is wrong
    try:
        mark = peek(database.engine)
    finally:
        database.dispose()
    if mark is not None and mark.environment is not settings.environment:
        checks.append(Check("environment", ProbeResult(
            ProbeStatus.FAILED, f"the settings say {name}, the database is {mark.describe()}",
            f"set ACCORD_ENVIRONMENT={mark.environment.value}, or use a {name} database")))
    if not checks:
        where = f"database: {mark.describe()}" if mark else "database not marked yet"
        checks.append(Check("environment", ProbeResult(ProbeStatus.OK, f"{name} ({where})")))
    return checks


def check_systems() -> list[Check]:
    """Each system (every instance the configuration and routing name): its connector's
    probe, then what accord needs set up in it (custom fields, webhook endpoint, reference
    records). Systems sharing an account are checked once."""
    checks = []
    seen: dict[tuple[str, str], str] = {}
    configured = system_settings(read_config_file(), load_routing())
    for name, settings in configured.items():
        definition = connectors.connector_for(name)
        if definition is None:
            continue
        try:
            result = definition.probe(settings)
        except Exception as exc:
            result = ProbeResult(ProbeStatus.FAILED, f"{type(exc).__name__}: {exc}",
                                 f"check the [systems.{name}] settings")
        checks.append(Check(f"system {name}", result))
        account = (definition.name, settings.model_dump_json(exclude={"max_concurrency"}))
        if account in seen:
            checks.append(Check(f"system {name}: setup", ProbeResult(
                ProbeStatus.OK, f"same account as {seen[account]}")))
            continue
        seen[account] = name
        usable = result.status is not ProbeStatus.FAILED and settings.enabled \
            and settings.configured
        if definition.verify_setup is None or not usable:
            continue
        try:
            found = definition.verify_setup(settings, event_types_for(name))
        except Exception as exc:
            found = [SetupCheck("setup", ProbeResult(ProbeStatus.FAILED,
                                                     f"{type(exc).__name__}: {exc}"))]
        checks += [Check(f"system {name}: {check.name}", check.result) for check in found]
    return checks


def run_checks() -> list[Check]:
    config, settings = check_config()
    checks = [config]
    if settings is not None:
        checks += [check_data_dir(settings), check_database(settings),
                   *check_environment(settings)]
    checks += check_systems()
    return checks


def doctor() -> None:
    """Check configuration, the database and every configured system; print what to fix."""
    checks = run_checks()
    table = Table("check", "status", "detail", "how to fix", title="accord doctor")
    for check in checks:
        status = check.result.status
        table.add_row(check.name, f"[{_STYLE[status]}]{status.value}[/]", check.result.detail,
                      check.result.fix)
    out.print(table)
    if any(check.result.status is ProbeStatus.FAILED for check in checks):
        raise typer.Exit(1)
