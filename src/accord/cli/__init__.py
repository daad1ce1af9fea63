"""The ``accord`` command line (Typer + Rich)."""

from __future__ import annotations

import typer

from accord import __version__
from accord.cli import db, demo, doctor, reconcile, sandbox, schema, serve
from accord.cli import exceptions as exceptions_cli
from accord.cli import replay as replay_cli
from accord.cli import worker as worker_cli

app = typer.Typer(
    name="accord",
    help="accord: one mediated layer between CRM, subscription billing and ERP.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.add_typer(db.app, name="db")
app.add_typer(schema.app, name="schema")
app.add_typer(sandbox.app, name="sandbox")
app.add_typer(serve.tokens_app, name="tokens")
app.command("serve")(serve.serve)
app.command("doctor")(doctor.doctor)
app.command("demo")(demo.demo)
app.command("worker")(worker_cli.worker)
app.command("replay")(replay_cli.replay_command)
app.add_typer(exceptions_cli.app, name="exceptions")
app.command("reconcile")(reconcile.reconcile_command)


@app.command()
def version() -> None:
    """Print accord's version."""
    typer.echo(__version__)


def main() -> None:
    app()


__all__ = ["app", "main"]
