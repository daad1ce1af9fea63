"""Shared Rich consoles for the CLI (stdout for results, stderr for problems)."""

from rich.console import Console

out = Console()
err = Console(stderr=True)

__all__ = ["err", "out"]
