"""``accord replay``: re-run a finished or failed flow without duplicate side effects."""

from __future__ import annotations

import typer
from rich.table import Table

from accord.cli.console import err, out
from accord.cli.exceptions import PRODUCT_FLOWS, default_actor
from accord.engine.failures import EngineError
from accord.engine.replay import replay
from accord.engine.runtime import control_options, running


def replay_command(
    target: str = typer.Argument(..., help="workflow id, correlation id or business key"),
    from_step: int = typer.Option(1, "--from-step", min=1,
                                  help="re-run from this step (1 = the whole flow)"),
    actor: str = typer.Option(default_actor, "--actor", help="who asks (audited)"),
) -> None:
    """Re-run a flow (DBOS fork, or resume if cancelled); workers pick it up.
    An event of a batch flow (named by its correlation id or a key) re-runs alone."""
    with running(control_options(flow_modules=PRODUCT_FLOWS)) as runtime:
        try:
            result = replay(runtime.database, target, actor=actor, from_step=from_step)
        except EngineError as exc:
            err.print(f"[red]cannot replay:[/] {exc}")
            raise typer.Exit(1) from exc
    table = Table(title="replay", show_header=False)
    table.add_row("replayed", result.source_workflow_id)
    table.add_row("as", result.workflow_id)
    table.add_row("mode", result.mode.value)
    table.add_row("from step", str(result.from_step or "-"))
    out.print(table)


__all__ = ["replay_command"]
