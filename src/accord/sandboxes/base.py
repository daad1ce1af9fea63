"""What a sandbox declares so the CLI and tests can run it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp

if TYPE_CHECKING:
    from accord.sandboxes.recording import Recorder


@dataclass(frozen=True)
class SandboxOptions:
    """How one sandbox instance is started.

    ``data_dir`` holds generated material (TLS CA, optional state file). ``state_file``, when
    set, persists records in SQLite instead of memory. ``settings`` carries sandbox-specific
    options by name (for instance a fixed API key), validated by the sandbox itself.
    ``recorder``, when set, keeps every API exchange (contract tests judge them afterwards).
    """

    data_dir: Path = Path(".accord/sandboxes")
    state_file: Path | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    recorder: Recorder | None = field(default=None, compare=False)


@dataclass(frozen=True)
class SandboxEndpoint:
    """Where a running sandbox answers."""

    base_url: str
    data_dir: Path


@dataclass(frozen=True)
class SandboxDefinition:
    """``create_app`` builds the ASGI app; ``credentials`` says how a client connects to it
    (printed by ``accord sandbox credentials``); ``tls`` serves HTTPS with a local CA."""

    name: str
    description: str
    default_port: int
    create_app: Callable[[SandboxOptions], ASGIApp]
    credentials: Callable[[SandboxEndpoint], dict[str, str]]
    tls: bool = False


__all__ = ["SandboxDefinition", "SandboxEndpoint", "SandboxOptions"]
