"""``accord demo``: a seeded month of quote-to-cash through the three sandboxes.

Starts the Salesforce, Stripe and NetSuite sandboxes on loopback (free ports, or their
default ports with ``--keep-running``), the engine on a fresh SQLite database and the
operations API with its console in this process; registers the API's ``/hooks/stripe`` as
Stripe's webhook endpoint; then runs the month with faults on and prints the summary: flows
by outcome, exceptions by owner with their reasons, control totals per system and
currency, and a reconciliation of the three systems (which should find only the planted bad
records). Exits non-zero when anything was lost or doubled.

With ``--keep-running`` everything stays up afterwards: the console (on ``accord serve``'s
default port) shows the demo's data, and an admin token to sign in with is printed once.
"""

from __future__ import annotations

import contextlib
import errno
import json
import logging
import random
import signal
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from pydantic_settings import BaseSettings
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from accord.api.app import create_app
from accord.api.routes.hooks import deliveries_stored
from accord.api.tokens import Role, create_token
from accord.cli.console import err, out
from accord.demo.scenario import generate
from accord.engine import EngineOptions, launch, shutdown
from accord.engine.routing import RoutingRules
from accord.flows.demo_month import Controls, Summary, register_webhook, run_month
from accord.flows.local import local_systems
from accord.flows.systems import FlowSettings, Systems, install
from accord.reconcile.service import Outcome, client_readers, reconcile, summary_line
from accord.resilience import LimitsProfile
from accord.sandboxes.base import SandboxDefinition, SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, serve_in_thread, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.settings import AccordSettings
from accord.store import Database

# 2 cores: one worker thread per flow is plenty; NetSuite is the narrow pipe.
WORKERS = 16
SERVE_PORT = 8080
"""``accord serve``'s default port: the console's address with ``--keep-running``."""


@dataclass(frozen=True)
class Ports:
    """Where the demo listens: the sandboxes on their default ports or free ones, the API
    on ``api`` (0 = a free port)."""

    default_sandbox_ports: bool
    api: int


@dataclass(frozen=True)
class Environment:
    found: Systems
    controls: Controls
    database: Database
    api_url: str
    sandboxes: dict[str, str]


@contextmanager
def _port_taken(port: int, what: str, fix: str) -> Iterator[None]:
    """A port already in use ends the demo with what to do instead of a traceback."""
    try:
        yield
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        err.print(f"port {port} ({what}) is already in use: {fix}", highlight=False)
        raise typer.Exit(2) from None


def _start(stack: ExitStack, definition: SandboxDefinition, data_dir: Path, ports: Ports,
           **settings: object) -> RunningSandbox:
    port = definition.default_port if ports.default_sandbox_ports else 0
    with _port_taken(port, f"the {definition.name} sandbox",
                     "stop what listens there, or pass --free-ports"):
        running = start_in_thread(definition, SandboxOptions(
            data_dir=data_dir / definition.name, settings=dict(settings)), port=port)
    stack.callback(running.stop)
    return running


def _system_settings(found: Systems) -> dict[str, BaseSettings]:
    """The connectors' settings as the flows use them, so the console's Systems page
    probes the sandboxes."""
    configured: dict[str, BaseSettings] = {"salesforce": found.salesforce.settings}
    for instance, poster in found.netsuite.items():
        configured[instance] = poster.client.settings
    return configured


@contextmanager
def _environment(data_dir: Path, ports: Ports) -> Iterator[Environment]:
    with ExitStack() as stack:
        stripe = _start(stack, STRIPE, data_dir, ports, rate_limit=0)
        salesforce = _start(stack, SALESFORCE, data_dir, ports)
        netsuite = _start(stack, NETSUITE, data_dir, ports)
        database_url = f"sqlite:///{data_dir / 'accord-demo.db'}"
        runtime = launch(EngineOptions(
            database_url=database_url, worker_concurrency=WORKERS,
            limits={"netsuite": LimitsProfile(max_concurrency=5)}, rng=random.Random(7),
            log_level="CRITICAL", pump_interval=0.5))
        stack.callback(shutdown)
        found = local_systems(
            stripe={**stripe.credentials(), "base_url": stripe.base_url},
            salesforce=salesforce.credentials(),
            netsuite={**netsuite.credentials(), "base_url": netsuite.base_url},
            settings=FlowSettings(wait_interval=1.0, wait_attempts=30, use_test_clocks=True))
        install(found)
        stack.callback(found.close)
        stack.callback(install, None)
        # the product's API and console, sharing this process's engine and database
        app = create_app(AccordSettings(data_dir=data_dir, database_url=SecretStr(database_url)),
                         runtime.database, system_settings=_system_settings(found))
        with _port_taken(ports.api, "the API and console",
                         "pass --port N, or --port 0 for a free one"):
            api = serve_in_thread(app, name="accord-api", port=ports.api)
        stack.callback(api.stop)
        api_url = f"http://127.0.0.1:{api.port}"
        webhook_url = f"{api_url}/hooks/stripe"
        # Stripe hands out the signing secret when the endpoint is registered; until the
        # API knows it, deliveries get 503 and Stripe delivers them again
        secret = register_webhook(found, webhook_url)
        app.state.system_settings["stripe"] = found.stripe.settings.model_copy(
            update={"webhook_secret": SecretStr(secret)})
        yield Environment(
            found=found, database=runtime.database, api_url=api_url,
            controls=Controls(stripe=stripe.base_url, netsuite=netsuite.base_url,
                              webhook_url=webhook_url),
            sandboxes={"stripe": stripe.base_url, "salesforce": salesforce.base_url,
                       "netsuite": netsuite.base_url})


def demo(
    seed: Annotated[int, typer.Option(help="scenario seed (same seed, same month)")] = 7,
    accounts: Annotated[int, typer.Option(min=12, help="number of accounts")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    keep_running: Annotated[bool, typer.Option(
        help="afterwards, leave the sandboxes (on their default ports), the engine and the "
             "console up, and print an admin token to sign in with")] = False,
    port: Annotated[int, typer.Option(
        min=0, max=65535,
        help="with --keep-running: the API and console port (0 picks a free one)")
    ] = SERVE_PORT,
    free_ports: Annotated[bool, typer.Option(
        "--free-ports", help="with --keep-running: run the sandboxes on free ports instead "
                             "of their default ones")] = False,
) -> None:
    """Run a seeded month of quote-to-cash through Salesforce, Stripe and NetSuite sandboxes."""
    # failed flows are reported in the summary; the sandboxes' servers are noisy on shutdown
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    scenario = generate(seed=seed, accounts=accounts,
                        month=datetime.now(UTC).strftime("%Y-%m"))
    ports = Ports(default_sandbox_ports=keep_running and not free_ports,
                  api=port if keep_running else 0)
    with tempfile.TemporaryDirectory(prefix="accord-demo-") as tmp, \
            _environment(Path(tmp), ports) as env:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=out, disable=as_json,
                      transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            before = deliveries_stored("stripe")
            summary = run_month(env.found, env.database, env.controls, scenario, progress,
                                received=lambda: deliveries_stored("stripe") - before)
            outcome = reconcile_month(env)
        if as_json:
            typer.echo(json.dumps(summary_json(summary, outcome), indent=2))
        else:
            print_summary(summary)
            out.print(summary_line(outcome), highlight=False)
        if keep_running:
            stay_up(env, Path(tmp), to_stderr=as_json)
    if summary.lost or summary.doubled:
        raise typer.Exit(1)


def stay_up(env: Environment, data_dir: Path, *, to_stderr: bool) -> None:
    """Print where everything is and a new admin token, then wait for Ctrl-C (or SIGTERM)."""
    with env.database.session() as session:
        token = create_token(session, "demo", Role.ADMIN)
    stream = sys.stderr if to_stderr else sys.stdout
    (err if to_stderr else out).print(
        "The demo keeps running. Open the console and sign in with the admin token below; "
        "it is shown only this once (accord stores only its digest).", highlight=False)
    lines = [f"console: {env.api_url}/console", f"admin token: {token}",
             f"api: {env.api_url}/v1 (Authorization: Bearer <token>)",
             *(f"{name} sandbox: {url}" for name, url in env.sandboxes.items()),
             f"data: {data_dir} (removed when the demo stops)",
             "press Ctrl-C to stop"]
    print("\n".join(lines), file=stream, flush=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    finally:
        signal.signal(signal.SIGTERM, previous)


def reconcile_month(env: Environment) -> Outcome:
    """Reconcile the three sandboxes over all time (the closed-period deal is dated in the
    month before): each difference opens an exception with its owner, as a run would."""
    erp = next(iter(env.found.netsuite.values()))  # every demo ERP instance is one sandbox
    return reconcile(env.database, RoutingRules(), client_readers(
        env.database, stripe=env.found.stripe, netsuite=erp.client, ref=erp.ref,
        salesforce=env.found.salesforce))


def reconciliation_json(outcome: Outcome) -> dict[str, object]:
    by_kind: dict[str, dict[str, int]] = {}
    for difference in outcome.report.differences:
        owners = by_kind.setdefault(difference.kind.value, {})
        owners[difference.owner.value] = owners.get(difference.owner.value, 0) + 1
    return {"run_id": outcome.report.run_id, "differences": len(outcome.report.differences),
            "by_kind": by_kind, "total_differences": len(outcome.report.total_differences),
            "gl_clean": outcome.gl.clean if outcome.gl is not None else None,
            "line": summary_line(outcome)}


def summary_json(summary: Summary, outcome: Outcome | None = None) -> dict[str, object]:
    data = summary.model_dump(mode="json")
    extra = {"reconciliation": reconciliation_json(outcome)} if outcome is not None else {}
    return {"lost": summary.lost, "doubled": summary.doubled,
            "exceptions": summary.exceptions, "control_totals": summary.control_totals,
            "agree": summary.agree, **{k: v for k, v in data.items()
                                       if k not in ("lost", "doubled", "exceptions",
                                                    "control_totals", "agree")}, **extra}


def print_summary(summary: Summary) -> None:
    flows = Table("flow", "outcome", "flows", title=(
        f"seeded month {summary.month}: {summary.accounts} accounts, seed {summary.seed}, "
        f"{summary.seconds:g} s"))
    for name, counts in summary.flows.items():
        for outcome, count in sorted(counts.items()):
            style = "red" if outcome == "exception" else "default"
            flows.add_row(name, f"[{style}]{outcome}[/]", str(count))
    out.print(flows)
    exceptions = Table(title="exceptions by owner")
    exceptions.add_column("owner", no_wrap=True)  # whole: it is what a reader scans for
    exceptions.add_column("record", overflow="fold")
    exceptions.add_column("step", overflow="fold")
    exceptions.add_column("reason", ratio=2)
    for line in sorted(summary.exception_details, key=lambda item: item.owner):
        exceptions.add_row(line.owner, line.record or "", line.step or "", line.reason)
    out.print(exceptions)
    out.print("planted: " + ", ".join(f"{k} x{v}" for k, v in summary.planted.items()))
    totals = Table("system", "currency", "invoiced", "paid", "refunded", "open",
                   title="control totals")
    for system, by_currency in summary.control_totals.items():
        for currency, row in sorted(by_currency.items()):
            totals.add_row(system, currency, row["invoiced"], row["paid"], row["refunded"],
                           row["open"])
    for currency, row in sorted(summary.held_by_exceptions.items()):
        totals.add_row("held by exceptions", currency, row["invoiced"], row["paid"],
                       row["refunded"], row["open"])
    out.print(totals)
    verdict = "[green]agree[/]" if summary.agree else "[red]DISAGREE[/]"
    out.print(f"control totals {verdict} (Stripe less what exceptions hold = NetSuite); "
              f"lost {summary.lost}, doubled {summary.doubled}; "
              f"{summary.webhooks_received} webhooks received")
    for record in summary.lost_records + summary.doubled_records:
        out.print(f"  [red]{record}[/]")
