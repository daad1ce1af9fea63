"""The operations API (FastAPI): health, metrics, timeline, customer 360, exceptions.

``create_app`` is imported on first use, so a command that needs only one of this package's
modules (``accord tokens`` reads :mod:`accord.api.tokens`) does not load the whole app."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord.api.app import create_app


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from accord.api.app import create_app

        return create_app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["create_app"]
