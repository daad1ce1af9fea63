"""``accord retention apply``: drop personal payloads past the retention period."""

from __future__ import annotations

import typer

from accord.cli.console import out
from accord.cli.exceptions import default_actor
from accord.cli.store import opened
from accord.engine.audit import audit
from accord.store.retention import apply_retention

retention_app = typer.Typer(help="Retention of personal data (see docs/security.md).",
                            no_args_is_help=True)


@retention_app.command("apply")
def apply(days: int = typer.Option(90, "--days", min=1,
                                   help="keep payloads this many days")) -> None:
    """Drop inbox payloads (of started flows) and timeline step payloads older than
    ``--days``, and ended console sessions; identities, outcomes and the audit log stay."""
    with opened() as database:
        purged = apply_retention(database, days)
        with database.session() as session:
            audit(session, actor=default_actor(), action="retention.apply",
                  target_type="store", target_id=f"{days} days",
                  detail={"inbox_payloads": purged.inbox_payloads,
                          "timeline_details": purged.timeline_details,
                          "sessions": purged.sessions})
    out.print(f"older than {days} days: {purged.inbox_payloads} inbox payloads and "
              f"{purged.timeline_details} step payloads dropped, {purged.sessions} ended "
              "sessions deleted", highlight=False)


__all__ = ["retention_app"]
