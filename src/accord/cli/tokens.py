"""``accord tokens``: create (shown once, with its id), list, revoke."""

from __future__ import annotations

from datetime import timedelta

import typer
from rich.table import Table

from accord.api.tokens import (
    Access,
    TokenNameTaken,
    create_token,
    list_tokens,
    revoke,
    token_id_of,
)
from accord.cli.console import err, out
from accord.cli.exceptions import default_actor
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.engine.audit import audit
from accord.store.models import utcnow

tokens_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)
DEFAULT_DAYS = 90


@tokens_app.command("create")
def create(role: Access = typer.Option(Access.VIEWER, help="viewer, operator or admin"),
           name: str = typer.Option("cli", help="who or what the token is for (unique)"),
           expires_days: int = typer.Option(DEFAULT_DAYS, "--expires-days", min=0,
                                            help="days until the token stops working "
                                                 "(0: never; rotate such tokens by hand)")
           ) -> None:
    """Create a token and print it once; only its SHA-256 digest is stored."""
    expires = utcnow() + timedelta(days=expires_days) if expires_days else None
    try:
        with opened() as database, database.session() as session:
            token = create_token(session, name, role, expires_at=expires)
            token_id = token_id_of(session, token)
            audit(session, actor=default_actor(), action="token.create", target_type="token",
                  target_id=str(token_id), detail={"name": name, "role": role.value,
                                                   "expires_at": str(expires)})
    except TokenNameTaken as exc:
        raise CommandFailed(str(exc), ExitCode.PROBLEM_FOUND) from None
    until = f"until {expires:%Y-%m-%d %H:%M} UTC" if expires else "without expiry"
    err.print(f"created token {token_id}: {role.value} for {name!r} {until}; store it now, "
              "it is not shown again")
    out.print(token, soft_wrap=True)


@tokens_app.command("list")
def list_command() -> None:
    """Every token: id, name, role, when created, last used, expires, and whether active."""
    with opened() as database, database.session() as session:
        rows = list_tokens(session)
        now = utcnow()
        table = Table("id", "name", "role", "created", "last used", "expires", "state")
        for row in rows:
            state = ("revoked" if row.revoked_at is not None else
                     "expired" if row.expires_at is not None and row.expires_at <= now
                     else "active")
            table.add_row(str(row.id), row.name, row.role, f"{row.created_at:%Y-%m-%d %H:%M}",
                          f"{row.last_used_at:%Y-%m-%d %H:%M}" if row.last_used_at else "-",
                          f"{row.expires_at:%Y-%m-%d %H:%M}" if row.expires_at else "never",
                          state)
    out.print(table)


@tokens_app.command("revoke")
def revoke_command(token_id: int = typer.Argument(..., help="the token's numeric id "
                                                            "(`accord tokens list`)")) -> None:
    """Revoke a token by id; its console sessions end with it."""
    with opened() as database, database.session() as session:
        done = revoke(session, token_id)
        if done:
            audit(session, actor=default_actor(), action="token.revoke", target_type="token",
                  target_id=str(token_id))
    if not done:
        raise CommandFailed(f"token_id: no active token {token_id}", ExitCode.PROBLEM_FOUND)
    out.print(f"revoked token {token_id}")


__all__ = ["tokens_app"]
