"""``accord init``: write an ``accord.toml`` for the systems a user has.

``accord init --sandboxes`` points every system at the local sandboxes (started with
``accord sandbox start all``) with their development credentials, registers accord's
webhook endpoint with every sandbox that sends webhooks and keeps the signing secret it
returns in a secret file (``<data_dir>/secrets``), and polls often, as suits a laptop.
``accord init`` alone writes every setting of every connector, commented, with where to
find its value in the vendor's admin pages. Then: ``accord doctor``, ``accord serve``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import typer
from pydantic import SecretStr
from pydantic.fields import FieldInfo

from accord.bootstrap.config import instance_settings
from accord.bootstrap.sandboxes import sandbox_tables
from accord.cli.console import err, out
from accord.cli.failures import CommandFailed, ExitCode
from accord.connectors.registry import available, connector_for
from accord.engine.dispatch import event_types_for
from accord.engine.schedules import every
from accord.errors import AccordError
from accord.routing import load_routing
from accord.sandboxes import registry as sandboxes
from accord.sandboxes.base import SandboxEndpoint, SandboxOptions
from accord.sandboxes.server import endpoint_for
from accord.sandboxes.tls import ensure_tls
from accord.settings import config_path, load_settings

SANDBOX_POLLS = {"opportunity": 10, "account": 30, "customer": 30, "events": 60}
"""Poll intervals (seconds) written for sandboxes, by stream: a deal won on a laptop shows
up in billing within seconds. Production defaults are the connectors' own."""


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return json.dumps(str(value))  # a JSON string is a valid TOML basic string


def _key(name: str) -> str:
    return name if name.replace("_", "").replace("-", "").isalnum() else json.dumps(name)


def _table(name: str, values: Mapping[str, Any]) -> list[str]:
    lines = [f"[{name}]"]
    lines += [f"{_key(key)} = {_toml_value(value)}" for key, value in values.items()]
    return [*lines, ""]


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only (a secret or a config holding one)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)


def _sandbox_url(name: str, overrides: Mapping[str, str], data_dir: Path) -> SandboxEndpoint:
    if name in overrides:
        return SandboxEndpoint(base_url=overrides[name].rstrip("/"), data_dir=data_dir)
    return endpoint_for(sandboxes.get(name), "127.0.0.1", sandboxes.get(name).default_port,
                        SandboxOptions(data_dir=data_dir))


def _parse_overrides(values: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for value in values:
        name, sep, url = value.partition("=")
        if not sep or not url.startswith(("http://", "https://")):
            raise CommandFailed(f"--sandbox: {value!r} is not NAME=URL (e.g. "
                                "stripe=http://127.0.0.1:12111)", ExitCode.CONFIGURATION)
        if name not in sandboxes.available():
            raise CommandFailed(f"--sandbox: no sandbox named {name!r} (available: "
                                f"{', '.join(sandboxes.available())})", ExitCode.CONFIGURATION)
        found[name] = url
    return found


def sandbox_config(overrides: Mapping[str, str], api_url: str, data_dir: Path,
                   secrets: Path, poll_every: int | None = None) -> tuple[list[str], list[str]]:
    """The TOML lines pointing at the sandboxes, and one line per step taken or missed."""
    sandbox_dir = data_dir / "sandboxes"
    credentials: dict[str, dict[str, str]] = {}
    for name, found in sandboxes.available().items():
        if found.tls:
            ensure_tls(sandbox_dir)  # the sandbox serves with the same CA when it starts
        credentials[name] = found.credentials(_sandbox_url(name, overrides, sandbox_dir))
    tables = sandbox_tables(credentials, load_routing())
    notes: list[str] = []
    for system, table in sorted(tables.items()):
        definition = connector_for(system)
        if definition is None or definition.register_webhook is None \
                or definition.name != system:  # instances share their account's endpoint
            continue
        url = f"{api_url.rstrip('/')}/hooks/{system}"
        try:
            secret = definition.register_webhook(instance_settings(system, **table), url,
                                                 event_types_for(system))
        except AccordError as exc:
            notes.append(f"{system}: webhook endpoint not registered ({exc.message}); start "
                         "the sandboxes (accord sandbox start all) and run accord init "
                         "--sandboxes --force again; until then accord polls its events")
            continue
        variable = f"ACCORD_{system.upper().replace('-', '_')}_WEBHOOK_SECRET"
        write_private(secrets / variable, secret)
        notes.append(f"{system}: webhook endpoint {url} registered; signing secret kept in "
                     f"{secrets / variable}")
    lines = ["# accord.toml - written by `accord init --sandboxes`: every system points at a",
             "# local sandbox (`accord sandbox start all`). Secrets live in files under",
             f"# {secrets} (one per setting, named like its environment variable).", ""]
    for system, table in sorted(tables.items()):
        lines += _table(f"systems.{_key(system)}", table)
    lines += _poll_tables(tables, poll_every)
    return lines, notes


def _poll_tables(tables: Mapping[str, Any], poll_every: int | None) -> list[str]:
    lines = ["# polls run often against sandboxes; remove these for the connectors' defaults"]
    seen: set[str] = set()
    for system in sorted(tables):
        definition = connector_for(system)
        if definition is None or definition.name in seen or definition.name != system:
            continue
        seen.add(definition.name)
        for spec in definition.polls:
            every = poll_every or SANDBOX_POLLS.get(spec.stream, spec.every_seconds)
            lines += _table(f'schedules."poll.{system}.{spec.stream}"', {"every": every})
    return lines


def _commented_field(name: str, field: FieldInfo) -> Iterator[str]:
    extra = field.json_schema_extra if isinstance(field.json_schema_extra, dict) else {}
    if field.description:
        yield f"# {name}: {field.description}"
    where = extra.get("where")
    if where:
        yield f"#   where: {where}"
    default = field.default
    shown = "" if default is None or isinstance(default, SecretStr) else _toml_value(default)
    yield f"# {name} = {shown or chr(34) * 2}"


def template_config() -> list[str]:
    """Every connector's settings, commented, with where to find each value."""
    lines = ["# accord.toml - written by `accord init`. Uncomment and fill in each system you",
             "# have; keep secrets out of this file: put each in a file named like its",
             "# environment variable (ACCORD_STRIPE_API_KEY, ...) in ACCORD_SECRETS_DIR or",
             "# <data_dir>/secrets. Then run `accord doctor`, then `accord serve`.", "",
             "# development (the default), test or production: production refuses sandbox",
             "# URLs, test keys, the demo and unsigned reference data (docs/governance.md)",
             '# environment = "production"', ""]
    routing = load_routing()
    systems = sorted({target for rule in routing.rules for target in rule.targets.values()}
                     | set(available()))
    for system in systems:
        definition = connector_for(system)
        if definition is None:
            continue
        lines += [f"# -- {system}: {definition.description} ({definition.kind.value})",
                  f"# [systems.{_key(system)}]"]
        for name, field in type(instance_settings(system)).model_fields.items():
            lines += list(_commented_field(name, field))
        lines.append("")
    return lines


def init(
    use_sandboxes: bool = typer.Option(False, "--sandboxes",
                                       help="point every system at the local sandboxes"),
    force: bool = typer.Option(False, "--force", help="overwrite an existing accord.toml"),
    api_url: str = typer.Option("http://127.0.0.1:8080", help="where accord serve answers "
                                "(the webhook endpoints point there)"),
    sandbox: list[str] = typer.Option([], "--sandbox", help="NAME=URL of a sandbox not on its "
                                      "default port (repeatable)"),
    poll_every: int | None = typer.Option(None, "--poll-every", min=1, max=3600,
                                          help="with --sandboxes: poll every stream this "
                                               "often, in seconds (default: 10 to 60 s)"),
) -> None:
    """Write accord.toml: for the local sandboxes, or a commented template for your systems."""
    path = config_path()
    if path.exists() and not force:
        raise CommandFailed(f"{path} exists: pass --force to overwrite it",
                            ExitCode.CONFIGURATION)
    settings = load_settings()
    secrets = Path(os.environ.get("ACCORD_SECRETS_DIR") or settings.data_dir / "secrets")
    if use_sandboxes:
        if poll_every is not None:
            every(poll_every, setting="--poll-every")  # refuses an interval cron cannot keep
        lines, notes = sandbox_config(_parse_overrides(sandbox), api_url, settings.data_dir,
                                      secrets, poll_every)
    else:
        if sandbox or poll_every is not None:
            raise CommandFailed("--sandbox and --poll-every go with --sandboxes",
                                ExitCode.CONFIGURATION)
        lines, notes = template_config(), []
    write_private(path, "\n".join(lines))
    for note in notes:
        err.print(note, highlight=False, soft_wrap=True)
    out.print(f"wrote {path}; next: accord doctor, then accord serve", highlight=False)


__all__ = ["init", "sandbox_config", "template_config", "write_private"]
