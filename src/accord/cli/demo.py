"""``accord demo``: a seeded month of quote-to-cash through the three sandboxes.

Starts the Salesforce, Stripe and NetSuite sandboxes on loopback (free ports, or their
default ports with ``--keep-running``), the engine on a fresh SQLite database, a Stripe
webhook endpoint and the inbox pump; then runs the month with faults on and prints the
summary: flows by outcome, exceptions by owner with their reasons, and control totals per
system and currency. Exits non-zero when anything was lost or doubled.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import tempfile
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import SecretStr
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from accord.cli.console import out
from accord.connectors.stripe.intake import StripeWebhookVerifier
from accord.demo.scenario import generate
from accord.engine import EngineOptions, launch, shutdown
from accord.engine.dispatch import InboxPump
from accord.flows.demo_month import Controls, Summary, register_webhook, run_month
from accord.flows.local import local_systems
from accord.flows.systems import FlowSettings, Systems, install
from accord.flows.webhooks import WebhookReceiver
from accord.resilience import LimitsProfile
from accord.sandboxes.base import SandboxDefinition, SandboxOptions
from accord.sandboxes.netsuite import SANDBOX as NETSUITE
from accord.sandboxes.salesforce import SANDBOX as SALESFORCE
from accord.sandboxes.server import RunningSandbox, start_in_thread
from accord.sandboxes.stripe import SANDBOX as STRIPE
from accord.store import Database

# 2 cores: one worker thread per flow is plenty; NetSuite is the narrow pipe.
WORKERS = 16


def _start(stack: ExitStack, definition: SandboxDefinition, data_dir: Path,
           keep_running: bool, **settings: object) -> RunningSandbox:
    running = start_in_thread(definition, SandboxOptions(data_dir=data_dir / definition.name,
                                                         settings=dict(settings)),
                              port=definition.default_port if keep_running else 0)

    stack.callback(running.stop)
    return running


@contextmanager
def _environment(data_dir: Path, keep_running: bool
                 ) -> Iterator[tuple[Systems, Controls, WebhookReceiver, Database]]:
    with ExitStack() as stack:
        stripe = _start(stack, STRIPE, data_dir, keep_running, rate_limit=0)
        salesforce = _start(stack, SALESFORCE, data_dir, keep_running)
        netsuite = _start(stack, NETSUITE, data_dir, keep_running)
        runtime = launch(EngineOptions(
            database_url=f"sqlite:///{data_dir / 'accord-demo.db'}", worker_concurrency=WORKERS,
            limits={"netsuite": LimitsProfile(max_concurrency=5)}, rng=random.Random(7),
            log_level="CRITICAL"))
        stack.callback(shutdown)
        found = local_systems(
            stripe={**stripe.credentials(), "base_url": stripe.base_url},
            salesforce=salesforce.credentials(),
            netsuite={**netsuite.credentials(), "base_url": netsuite.base_url},
            settings=FlowSettings(wait_interval=1.0, wait_attempts=30, use_test_clocks=True))
        install(found)
        stack.callback(found.close)
        stack.callback(install, None)
        receiver = WebhookReceiver(runtime.database,
                                   StripeWebhookVerifier(SecretStr("not-registered-yet")))
        receiver.verifier = StripeWebhookVerifier(
            SecretStr(register_webhook(found, receiver.url)))
        receiver.start()
        stack.callback(receiver.stop)
        pump = InboxPump(runtime.database, interval=0.5).start()
        stack.callback(pump.stop)
        yield found, Controls(stripe=stripe.base_url, netsuite=netsuite.base_url,
                              webhook_url=receiver.url), receiver, runtime.database


def demo(
    seed: Annotated[int, typer.Option(help="scenario seed (same seed, same month)")] = 7,
    accounts: Annotated[int, typer.Option(min=12, help="number of accounts")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    keep_running: Annotated[bool, typer.Option(
        help="leave the sandboxes on their default ports and the engine up afterwards")] = False,
) -> None:
    """Run a seeded month of quote-to-cash through Salesforce, Stripe and NetSuite sandboxes."""
    # failed flows are reported in the summary; the sandboxes' servers are noisy on shutdown
    logging.getLogger("uvicorn.error").setLevel(logging.CRITICAL)
    scenario = generate(seed=seed, accounts=accounts,
                        month=datetime.now(UTC).strftime("%Y-%m"))
    with tempfile.TemporaryDirectory(prefix="accord-demo-") as tmp, \
            _environment(Path(tmp), keep_running) as (found, controls, receiver, database):
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=out, disable=as_json,
                      transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=total)

            summary = run_month(found, database, controls, scenario, progress,
                                received=lambda: receiver.received)
        if as_json:
            typer.echo(json.dumps(summary_json(summary), indent=2))
        else:
            print_summary(summary)
        if keep_running:
            out.print(f"sandboxes: stripe {controls.stripe}, netsuite {controls.netsuite}; "
                      "press Ctrl-C to stop")
            with contextlib.suppress(KeyboardInterrupt):
                threading.Event().wait()
    if summary.lost or summary.doubled:
        raise typer.Exit(1)


def summary_json(summary: Summary) -> dict[str, object]:
    data = summary.model_dump(mode="json")
    return {"lost": summary.lost, "doubled": summary.doubled,
            "exceptions": summary.exceptions, "control_totals": summary.control_totals,
            "agree": summary.agree, **{k: v for k, v in data.items()
                                       if k not in ("lost", "doubled", "exceptions",
                                                    "control_totals", "agree")}}


def print_summary(summary: Summary) -> None:
    flows = Table("flow", "outcome", "flows", title=(
        f"seeded month {summary.month}: {summary.accounts} accounts, seed {summary.seed}, "
        f"{summary.seconds:g} s"))
    for name, counts in summary.flows.items():
        for outcome, count in sorted(counts.items()):
            style = "red" if outcome == "exception" else "default"
            flows.add_row(name, f"[{style}]{outcome}[/]", str(count))
    out.print(flows)
    exceptions = Table("owner", "record", "step", "reason", title="exceptions by owner")
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
