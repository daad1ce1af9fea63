"""``accord keys``: the field-encryption keys (personal data at rest)."""

from __future__ import annotations

import typer

from accord.cli.console import err, out
from accord.cli.exceptions import default_actor
from accord.cli.store import opened
from accord.engine.audit import audit
from accord.settings import load_settings
from accord.store.reseal import reseal
from accord.store.sealing import forget, key_file_for, keyring

keys_app = typer.Typer(help="Field-encryption keys of personal data at rest.",
                       no_args_is_help=True)


@keys_app.command("rotate")
def rotate() -> None:
    """Add a key, make it current and seal every stored value again with it. Older keys stay
    in the key file (the engine's checkpoints sealed with them are still read)."""
    settings = load_settings()
    path = key_file_for(settings.effective_database_url, settings)
    ring = keyring(path)
    before = ring.current
    ring.with_new_key()
    ring.save()
    forget(path)
    with opened(settings) as database:
        rows = reseal(database)
        with database.session() as session:
            audit(session, actor=default_actor(), action="keys.rotate", target_type="key",
                  target_id=keyring(path).current, detail={"from": before, "rows": rows})
    err.print(f"field key {before} -> {keyring(path).current}; {rows} rows sealed again "
              f"(key file {path})", highlight=False)
    out.print(keyring(path).current)


@keys_app.command("status")
def status() -> None:
    """The key file, the current key's id and how many keys it holds (never key material)."""
    settings = load_settings()
    path = key_file_for(settings.effective_database_url, settings)
    ring = keyring(path)
    out.print(f"key file {path}: current {ring.current}, {len(ring.keys)} key(s)",
              highlight=False)


__all__ = ["keys_app"]
