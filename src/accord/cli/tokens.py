"""``accord tokens``: create (shown once, with its id), list, revoke."""

from __future__ import annotations

import json

import typer
from rich.table import Table

from accord.api.tokens import (
    Access,
    Scope,
    ScopeNotAllowed,
    TokenNameTaken,
    checked_scopes,
    create_token,
    list_tokens,
    parse_lifetime,
    revoke,
    scopes_of,
    state_of,
    token_id_of,
)
from accord.cli.console import err, out
from accord.cli.exceptions import default_actor
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import opened
from accord.engine.audit import audit
from accord.store.models import utcnow

tokens_app = typer.Typer(help="API tokens (stored hashed; shown once).", no_args_is_help=True)
DEFAULT_LIFETIME = "90d"


def _when(moment: object) -> str:
    return f"{moment:%Y-%m-%d %H:%M}" if moment is not None else "-"


@tokens_app.command("create")
def create(role: Access = typer.Option(Access.VIEWER, help="viewer, operator or admin"),
           name: str = typer.Option("cli", help="who or what the token is for (unique)"),
           scope: list[Scope] | None = typer.Option(
               None, "--scope", help="what the token may do, repeatable: read, exceptions "
                                     "(resolve/ignore), replay (retry, run schedules, report "
                                     "usage), admin; default: all its role allows"),
           expires_in: str | None = typer.Option(
               None, "--expires-in", help="lifetime: 30m, 12h, 90d, 2w, or never "
                                          f"[default: {DEFAULT_LIFETIME}]"),
           expires_days: int | None = typer.Option(
               None, "--expires-days", min=0, help="lifetime in days (0: never); the same "
                                                   "as --expires-in Nd")
           ) -> None:
    """Create a token and print it once; only its SHA-256 digest is stored."""
    if expires_in is not None and expires_days is not None:
        raise CommandFailed("expires_in: give --expires-in or --expires-days, not both",
                            ExitCode.PROBLEM_FOUND)
    if expires_days is not None:
        expires_in = f"{expires_days}d" if expires_days else "never"
    try:
        lifetime = parse_lifetime(expires_in or DEFAULT_LIFETIME)
    except ValueError as exc:
        raise CommandFailed(str(exc), ExitCode.PROBLEM_FOUND) from None
    expires = utcnow() + lifetime if lifetime is not None else None
    try:
        with opened() as database, database.session() as session:
            token = create_token(session, name, role, expires_at=expires, scopes=scope)
            token_id = token_id_of(session, token)
            granted = sorted(scope.value for scope in checked_scopes(role, scope))
            audit(session, actor=default_actor(), action="token.create", target_type="token",
                  target_id=str(token_id), detail={"name": name, "role": role.value,
                                                   "scopes": granted,
                                                   "expires_at": str(expires)})
    except (TokenNameTaken, ScopeNotAllowed) as exc:
        raise CommandFailed(str(exc), ExitCode.PROBLEM_FOUND) from None
    except ValueError as exc:
        raise CommandFailed(str(exc), ExitCode.PROBLEM_FOUND) from None
    until = f"until {expires:%Y-%m-%d %H:%M} UTC" if expires else "without expiry"
    err.print(f"created token {token_id}: {role.value} for {name!r} "
              f"(scopes {', '.join(granted)}) {until}; store it now, it is not shown again",
              highlight=False)
    out.print(token, soft_wrap=True)


@tokens_app.command("list")
def list_command(as_json: bool = typer.Option(False, "--json",
                                             help="one JSON object per token, for scripts")
                 ) -> None:
    """Every token: id, name, role, scopes, when created, last used, expires, and state."""
    with opened() as database, database.session() as session:
        rows = list_tokens(session)
        now = utcnow()
        if as_json:
            for row in rows:
                typer.echo(json.dumps({
                    "id": row.id, "name": row.name, "role": row.role,
                    "scopes": sorted(scope.value for scope in scopes_of(row)),
                    "created_at": row.created_at.isoformat(),
                    "last_used_at": row.last_used_at.isoformat() if row.last_used_at else None,
                    "expires_at": row.expires_at.isoformat() if row.expires_at else None,
                    "state": state_of(row, now)}))
            return
        table = Table("id", "name", "role", "scopes", "created", "last used", "expires",
                      "state")
        for row in rows:
            table.add_row(str(row.id), row.name, row.role,
                          ",".join(sorted(scope.value for scope in scopes_of(row))),
                          _when(row.created_at), _when(row.last_used_at),
                          _when(row.expires_at) if row.expires_at else "never",
                          state_of(row, now))
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
