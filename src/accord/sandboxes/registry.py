"""Discovery of sandbox packages: every ``accord.sandboxes.<name>`` with a ``SANDBOX``."""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

import accord.sandboxes as package
from accord.sandboxes.base import SandboxDefinition


class UnknownSandboxError(LookupError):
    def __init__(self, name: str, known: list[str]) -> None:
        listing = ", ".join(known) or "none"
        super().__init__(f"system: no sandbox named {name!r} (available: {listing})")


@cache
def available() -> dict[str, SandboxDefinition]:
    found: dict[str, SandboxDefinition] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.ispkg:
            continue
        definition = getattr(importlib.import_module(f"{package.__name__}.{module.name}"),
                             "SANDBOX", None)
        if isinstance(definition, SandboxDefinition):
            found[definition.name] = definition
    return dict(sorted(found.items()))


def get(name: str) -> SandboxDefinition:
    sandboxes = available()
    if name not in sandboxes:
        raise UnknownSandboxError(name, list(sandboxes))
    return sandboxes[name]


__all__ = ["UnknownSandboxError", "available", "get"]
