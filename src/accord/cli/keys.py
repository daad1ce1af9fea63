"""``accord keys``: the field-encryption keys (personal data at rest)."""

from __future__ import annotations

import typer

from accord.cli.console import err, out
from accord.cli.store import opened
from accord.settings import load_settings
from accord.store.reseal import reseal
from accord.store.sealing import forget, keyring

keys_app = typer.Typer(help="Field-encryption keys of personal data at rest.",
                       no_args_is_help=True)


@keys_app.command("rotate")
def rotate() -> None:
    """Add a key, make it current and seal every stored value again with it. Older keys stay
    in the key file (the engine's checkpoints sealed with them are still read)."""
    settings = load_settings()
    path = settings.effective_key_file
    ring = keyring(path)
    before = ring.current
    ring.with_new_key()
    ring.save()
    forget(path)
    with opened(settings) as database:
        rows = reseal(database)
    err.print(f"field key {before} -> {keyring(path).current}; {rows} rows sealed again "
              f"(key file {path})", highlight=False)
    out.print(keyring(path).current)


@keys_app.command("status")
def status() -> None:
    """The key file, the current key's id and how many keys it holds (never key material)."""
    path = load_settings().effective_key_file
    ring = keyring(path)
    out.print(f"key file {path}: current {ring.current}, {len(ring.keys)} key(s)",
              highlight=False)


__all__ = ["keys_app"]
