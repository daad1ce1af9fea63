"""The ``accord`` command line (Typer + Rich)."""

from __future__ import annotations

import importlib
import os
from typing import Any

import typer
from typer.core import TyperGroup

from accord import __version__
from accord.cli.console import err
from accord.cli.failures import describe

COMMANDS: dict[str, tuple[str, str]] = {
    "audit": ("audit", "audit_app"),
    "data": ("data", "app"),
    "db": ("db", "app"),
    "demo": ("demo", "demo"),
    "doctor": ("doctor", "doctor"),
    "exceptions": ("exceptions", "app"),
    "init": ("init", "init"),
    "keys": ("keys", "keys_app"),
    "monitoring": ("monitoring", "app"),
    "reconcile": ("reconcile", "reconcile_command"),
    "refdata": ("refdata", "app"),
    "replay": ("replay", "replay_command"),
    "retention": ("retention", "retention_app"),
    "revenue": ("revenue", "app"),
    "sandbox": ("sandbox", "app"),
    "schema": ("schema", "app"),
    "serve": ("serve", "serve"),
    "tokens": ("tokens", "tokens_app"),
    "worker": ("worker", "worker"),
    "workers": ("workers", "workers"),
}
"""Every command: its module under ``accord.cli`` and the Typer app (a group of commands) or
function (one command) there. A command's module is imported when the command runs (or help
lists it), so ``accord sandbox start`` does not load the API, the engine and the demo."""


def _load(name: str) -> Any:
    """The command ``name``, as Typer builds it when the command is added to the app."""
    module, attribute = COMMANDS[name]
    target = getattr(importlib.import_module(f"accord.cli.{module}"), attribute)
    wrapper = typer.Typer()
    if isinstance(target, typer.Typer):
        wrapper.add_typer(target, name=name)
        group = typer.main.get_command(wrapper)
        assert isinstance(group, TyperGroup)
        command: Any = group.commands[name]
    else:
        wrapper.command(name)(target)
        command = typer.main.get_command(wrapper)
    command.name = name
    return command


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

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found: Any = super().get_command(ctx, cmd_name)
        if found is None and cmd_name in COMMANDS:
            found = _load(cmd_name)
            self.add_command(found, cmd_name)
        return found


app = typer.Typer(
    name="accord",
    help="accord: one mediated layer between CRM, subscription billing and ERP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=Commands,
)
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
