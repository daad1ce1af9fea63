"""The ``accord`` command line (Typer + Rich)."""

from __future__ import annotations

import os
from typing import Any

import typer
from typer.core import TyperGroup

from accord import __version__
from accord.cli import (
    audit,
    db,
    demo,
    doctor,
    keys,
    reconcile,
    refdata,
    retention,
    revenue,
    sandbox,
    schema,
    serve,
    tokens,
)
from accord.cli import exceptions as exceptions_cli
from accord.cli import init as init_cli
from accord.cli import monitoring as monitoring_cli
from accord.cli import replay as replay_cli
from accord.cli import worker as worker_cli
from accord.cli import workers as workers_cli
from accord.cli.console import err
from accord.cli.failures import describe


class Commands(TyperGroup):
    """Every command runs inside this: an expected failure ends with one line on standard
    error and its exit code (:mod:`accord.cli.failures`); a traceback only with
    ``--debug`` (or ``ACCORD_DEBUG=1``), or for a bug."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            found = describe(exc)
            if found is None or _debugging(ctx):
                raise
            message, code = found
            err.print(f"[red]error:[/] {message}", highlight=False, soft_wrap=True)
            ctx.exit(int(code))


app = typer.Typer(
    name="accord",
    help="accord: one mediated layer between CRM, subscription billing and ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=Commands,
)
app.add_typer(db.app, name="db")
app.add_typer(schema.app, name="schema")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(tokens.tokens_app, name="tokens")
app.add_typer(keys.keys_app, name="keys")
app.add_typer(audit.audit_app, name="audit")
app.add_typer(refdata.app, name="refdata")
app.add_typer(retention.retention_app, name="retention")
app.add_typer(revenue.app, name="revenue")
app.command("init")(init_cli.init)
app.command("serve")(serve.serve)
app.command("doctor")(doctor.doctor)
app.command("demo")(demo.demo)
app.command("worker")(worker_cli.worker)
app.command("workers")(workers_cli.workers)
app.command("replay")(replay_cli.replay_command)
app.add_typer(exceptions_cli.app, name="exceptions")
app.add_typer(monitoring_cli.app, name="monitoring")
app.command("reconcile")(reconcile.reconcile_command)


@app.callback()
def options(ctx: typer.Context, debug: bool = typer.Option(
        False, "--debug", envvar="ACCORD_DEBUG",
        help="print a traceback when a command fails (otherwise one line)")) -> None:
    """accord: one mediated layer between CRM, subscription billing and ERP."""
    ctx.obj = {"debug": debug}


def _debugging(ctx: Any) -> bool:
    return bool((ctx.obj or {}).get("debug")) or \
        os.environ.get("ACCORD_DEBUG", "").lower() in {"1", "true", "yes"}


@app.command()
def version() -> None:
    """Print accord's version."""
    typer.echo(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
