"""``accord audit verify``: check the audit log's hash chain."""

from __future__ import annotations

import typer

from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.engine.audit import verify

audit_app = typer.Typer(help="The audit log: who did what, tamper-evident.",
                        no_args_is_help=True)


@audit_app.command("verify")
def verify_command() -> None:
    """Recompute every row's hash and link; exit 1 naming each row edited, deleted or
    inserted out of the chain."""
    with opened() as database:
        verdict = verify(database)
    for broken in verdict.breaks:
        err.print(f"[red]audit row {broken.audit_id}:[/] {broken.problem}")
    summary = (f"{verdict.checked} chained rows checked"
               + (f", {verdict.unchained} older rows without a chain" if verdict.unchained
                  else ""))
    if not verdict.intact:
        raise CommandFailed(f"the audit chain is broken ({len(verdict.breaks)} problems; "
                            f"{summary})", ExitCode.PROBLEM_FOUND)
    out.print(f"audit chain intact: {summary}", highlight=False)


__all__ = ["audit_app"]
