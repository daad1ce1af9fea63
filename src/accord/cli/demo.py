"""``accord demo``: a seeded month of quote-to-cash, played against the running service.

Starts the CRM (Salesforce, HubSpot), Stripe and NetSuite sandboxes and accord itself as separate
processes (``accord serve``, or with ``--workers N`` ``accord serve --no-workers`` and N
``accord worker`` processes, on ``--database`` when given), configured by ``accord init
--sandboxes`` in a fresh folder; then plays the month from outside through the vendors'
APIs (:mod:`accord.demo.month`) and prints the summary: flows by outcome, exceptions by
owner with their reasons, control totals per system and currency, and a reconciliation of
the three systems (which should find only the planted bad records). Exits 1 when anything
was lost or doubled.

``--crm`` picks where the sales teams work (:mod:`accord.demo.crms`): ``salesforce`` (the
default), ``hubspot``, or ``both`` - one legal entity's deals from HubSpot, the other's from
Salesforce, and a customer both sell to kept as one customer with one billing customer
(the summary's ``crm`` key shows it, with every system's id for that customer).

With ``--keep-running`` everything stays up afterwards: the console shows the demo's data,
an admin token is printed once, and a deal closed in the Salesforce sandbox afterwards flows
like any other. Ctrl-C or SIGTERM stops every process the demo started.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import refuse_production
from accord.demo.crms import CrmChoice, configure, teams
from accord.demo.environment import Environment, Layout, PortTaken, start
from accord.demo.month import Outside, Stuck, run_month, stripe_client
from accord.demo.processes import StartFailed
from accord.demo.scenario import Scenario, generate
from accord.demo.summary import CrmSummary, Summary, crm_summary, reconciliation, summarise

SERVE_PORT = 8080
"""``accord serve``'s default port: the console's address with ``--keep-running``."""


def demo(
    seed: Annotated[int, typer.Option(help="scenario seed (same seed, same month)")] = 7,
    accounts: Annotated[int, typer.Option(min=12, help="number of accounts")] = 200,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
    keep_running: Annotated[bool, typer.Option(
        help="afterwards, leave the sandboxes (on their default ports) and accord up, and "
             "print an admin token to sign in to the console with")] = False,
    port: Annotated[int, typer.Option(
        min=0, max=65535,
        help="with --keep-running: the API and console port (0 picks a free one)")
    ] = SERVE_PORT,
    free_ports: Annotated[bool, typer.Option(
        "--free-ports", help="with --keep-running: run the sandboxes on free ports instead "
                             "of their default ones")] = False,
    workers: Annotated[int, typer.Option(
        min=0, max=16, help="run accord as `serve --no-workers` plus this many `accord "
                            "worker` processes (0: one `accord serve` with the engine)")] = 0,
    database: Annotated[str | None, typer.Option(
        help="database for accord (e.g. postgresql://user@host/db, empty); default: SQLite "
             "in the demo's folder")] = None,
    crm: Annotated[CrmChoice, typer.Option(
        help="where the sales teams work: salesforce, hubspot, or both (one legal entity "
             "from each)")] = CrmChoice.SALESFORCE,
) -> None:
    """Run a seeded month of quote-to-cash through CRM, Stripe and NetSuite sandboxes."""
    refuse_production("demo", database_url=database)
    logging.getLogger("stripe").setLevel(logging.WARNING)
    scenario = generate(seed=seed, accounts=accounts,
                        month=datetime.now(UTC).strftime("%Y-%m"))
    layout = Layout(default_sandbox_ports=keep_running and not free_ports,
                    api_port=port if keep_running else 0, workers=workers,
                    database_url=database)
    with tempfile.TemporaryDirectory(prefix="accord-demo-") as tmp:
        try:
            with start(Path(tmp), layout, lambda path: configure(path, crm)) as env:
                summary, reconciled, crms = _play(env, scenario, as_json, crm)
                if as_json:
                    typer.echo(json.dumps(summary_json(summary, reconciled, crms), indent=2))
                else:
                    print_summary(summary)
                    if crms is not None:
                        print_crms(crms)
                    out.print(reconciled["line"], highlight=False)
                if keep_running:
                    stay_up(env, to_stderr=as_json)
        except PortTaken as taken:
            raise CommandFailed(str(taken), ExitCode.UNAVAILABLE) from None
        except (StartFailed, Stuck) as failed:
            raise CommandFailed(str(failed), ExitCode.UNAVAILABLE) from None
    if summary.lost or summary.doubled:
        raise typer.Exit(1)


def _play(env: Environment, scenario: Scenario, as_json: bool, crm: CrmChoice
          ) -> tuple[Summary, dict[str, object], CrmSummary | None]:
    api = env.api()
    sales = teams(crm, env.credentials)
    outside = Outside(api=api, sales=sales, stripe=stripe_client(env.credentials["stripe"]),
                      controls=env.sandboxes)
    try:
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TimeElapsedColumn(), console=out, disable=as_json,
                      transient=True) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(phase, total=total)
                bar.update(tasks[phase], completed=done, total=max(total, done))

            began = time.monotonic()
            run_month(outside, scenario, progress)
            summary = summarise(env, outside, scenario, seconds=time.monotonic() - began)
            progress("reconciling", 0, 1)
            reconciled = reconciliation(env)
            crms = None if crm is CrmChoice.SALESFORCE else crm_summary(outside, crm.value)
        return summary, reconciled, crms
    finally:
        sales.close()
        api.close()


def print_crms(crms: CrmSummary) -> None:
    out.print(f"CRMs: {', '.join(crms.systems)}", highlight=False)
    for shared in crms.shared_customers:
        out.print(f"  customer in both CRMs ({shared.account}): canonical "
                  f"{', '.join(shared.canonical_ids) or '(none)'}; billing customer "
                  f"{', '.join(shared.billing_customers) or '(none)'}; ids "
                  + ", ".join(f"{system}={value}" for system, value
                              in sorted(shared.ids.items())), highlight=False)


def stay_up(env: Environment, *, to_stderr: bool) -> None:
    """Print where everything is and the admin token, then wait for Ctrl-C (or SIGTERM)."""
    stream = sys.stderr if to_stderr else sys.stdout
    (err if to_stderr else out).print(
        "The demo keeps running. Open the console and sign in with the admin token below; "
        "it is shown only this once (accord stores only its digest).", highlight=False)
    lines = [f"console: {env.api_url}/console", f"admin token: {env.token}",
             f"api: {env.api_url}/v1 (Authorization: Bearer <token>)",
             *(f"{name} sandbox: {url}" for name, url in env.sandboxes.items()),
             f"config: {env.directory / 'accord.toml'}",
             f"data: {env.directory} (removed when the demo stops)",
             "press Ctrl-C to stop"]
    print("\n".join(lines), file=stream, flush=True)
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with contextlib.suppress(KeyboardInterrupt):
            while not stop.wait(1.0):
                env.stack.check_alive()
    finally:
        signal.signal(signal.SIGTERM, previous)


def summary_json(summary: Summary, reconciled: dict[str, object] | None = None,
                 crms: CrmSummary | None = None) -> dict[str, object]:
    data = summary.model_dump(mode="json")
    extra: dict[str, object] = {"reconciliation": reconciled} if reconciled is not None else {}
    if crms is not None:
        extra["crm"] = crms.model_dump(mode="json")
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
