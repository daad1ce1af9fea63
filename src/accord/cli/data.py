"""``accord data``: copies of the store between environments.

``accord data mask-copy --from URL --to URL`` copies a store (a production one, typically)
into an empty database with personal data replaced by pseudonyms, for a test environment
(:mod:`accord.store.masked_copy`). It never writes into a production database.
"""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.engine import make_url

from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.cli.store import prepare_sqlite_dir
from accord.settings import Environment, load_settings
from accord.store import Database
from accord.store.masked_copy import MaskCopyError, mask_copy
from accord.store.sealing import bind_keys, key_file_for, keyring

app = typer.Typer(help="Copies of the store between environments.", no_args_is_help=True)


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@app.command("mask-copy")
def mask_copy_command(
        source: str = typer.Option(..., "--from", help="the store to copy (a database URL)"),
        target: str = typer.Option(..., "--to", help="an empty database to copy into"),
        environment: Environment = typer.Option(
            Environment.TEST, help="the environment the copy is for (never production)"),
        source_keys: Path | None = typer.Option(
            None, "--from-key-file", help="the field-key file the store is sealed with "
            "(default: beside a SQLite file, else key_file)"),
        target_keys: Path | None = typer.Option(
            None, "--to-key-file", help="the field-key file to seal the copy with, created "
            "if missing (default: beside a SQLite file, else key_file)"),
) -> None:
    """Copy the store into an empty database with names, e-mails, addresses, phones and tax
    ids replaced by pseudonyms (the same original, the same pseudonym); amounts, ids and
    dates kept. The copy is marked as a masked copy for --environment."""
    settings = load_settings()
    source_keys = (source_keys or key_file_for(source, settings)).resolve()
    target_keys = (target_keys or key_file_for(target, settings)).resolve()
    parsed = make_url(source)
    if parsed.get_backend_name() == "sqlite" and not Path(parsed.database or "").is_file():
        raise CommandFailed(f"from: there is no SQLite database at {parsed.database}",
                            ExitCode.CONFIGURATION)
    if not source_keys.exists():
        raise CommandFailed(f"from-key-file: no key file at {source_keys} to open the "
                            "store's sealed values (name that store's key file)",
                            ExitCode.CONFIGURATION)
    if source_keys == target_keys:
        raise CommandFailed("to-key-file: the copy must not be sealed with the key file of "
                            f"the store it copies ({source_keys}); name another",
                            ExitCode.CONFIGURATION)
    prepare_sqlite_dir(target)
    keyring(target_keys)
    origin, copy = Database(source), Database(target)
    bind_keys(origin.engine, source, source_keys)
    bind_keys(copy.engine, target, target_keys)
    try:
        report = mask_copy(origin, copy, environment=environment)
    except MaskCopyError as error:
        raise CommandFailed(error.message, ExitCode.REFUSED) from error
    finally:
        origin.dispose()
        copy.dispose()
    for table, rows in sorted(report.rows.items()):
        out.print(f"{table:<18} {rows:>8} rows", highlight=False)
    err.print(f"masked copy of {_shown(source)} in {_shown(target)} ({environment} "
              f"environment): {sum(report.rows.values())} rows, {report.masked} personal "
              f"values replaced; not copied: {', '.join(report.not_copied)}", highlight=False)


__all__ = ["app"]
