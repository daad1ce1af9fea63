"""Configuration: one ``accord.toml`` plus ``ACCORD_*`` environment overrides.

Precedence, highest first: init arguments, environment variables, secret files (one file per
setting in ``ACCORD_SECRETS_DIR``, named like the environment variable), the TOML file
(``ACCORD_CONFIG`` or ``./accord.toml``), defaults. Secrets are ``SecretStr`` and print as
``**********``.

Connectors subclass :class:`SystemSettings`; theirs come from the ``[systems.<name>]`` table
and ``ACCORD_<NAME>_*`` variables (``ACCORD_STRIPE_API_KEY``).
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)
from sqlalchemy.engine import make_url


class ConfigFileError(ValueError):
    """The TOML file is unreadable or malformed."""


def config_path() -> Path:
    return Path(os.environ.get("ACCORD_CONFIG", "accord.toml"))


def secrets_dir() -> Path | None:
    """``ACCORD_SECRETS_DIR``, else ``<data_dir>/secrets`` when that folder exists (where
    ``accord init`` keeps the secrets it is handed; ``data_dir`` from ``ACCORD_DATA_DIR`` or
    the default ``.accord``)."""
    value = os.environ.get("ACCORD_SECRETS_DIR")
    if value:
        return Path(value)
    default = Path(os.environ.get("ACCORD_DATA_DIR") or ".accord") / "secrets"
    return default if default.is_dir() else None


def read_config_file(path: Path | None = None) -> dict[str, Any]:
    path = path or config_path()
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigFileError(f"{path}: {exc}") from exc


class TomlTableSource(PydanticBaseSettingsSource):
    """Reads one table (``[]`` for the top level, ``["systems", "stripe"]``) of the TOML file."""

    def __init__(self, settings_cls: type[BaseSettings], table: tuple[str, ...]) -> None:
        super().__init__(settings_cls)
        data: Any = read_config_file()
        for key in table:
            data = data.get(key, {}) if isinstance(data, dict) else {}
        self._data: dict[str, Any] = data if isinstance(data, dict) else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {key: value for key, value in self._data.items()
                if key in self.settings_cls.model_fields}


class _Base(BaseSettings):
    toml_table: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        directory = secrets_dir()
        if directory is not None:
            from pydantic_settings import SecretsSettingsSource

            sources.append(SecretsSettingsSource(settings_cls, secrets_dir=directory))
        sources.append(TomlTableSource(settings_cls, cls.toml_table))
        return tuple(sources)


class Environment(StrEnum):
    """What a deployment is for. Production refuses sandbox URLs, test keys, the demo's
    commands and unsigned reference data; a database remembers the environment it was made
    for (:mod:`accord.store.environment`)."""

    DEVELOPMENT = "development"
    TEST = "test"
    PRODUCTION = "production"


class AccordSettings(_Base):
    """Process-wide settings."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    data_dir: Path = Field(default=Path(".accord"), description="where local state lives")
    database_url: SecretStr | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/accord.db; postgresql://... "
        "selects PostgreSQL",
    )
    environment: Environment = Field(
        default=Environment.DEVELOPMENT, description="development, test or production")
    environment_key: SecretStr | None = Field(
        default=None, description="this environment's Ed25519 private key (base64), which "
        "signs the reference-data bundles it exports; `accord refdata keygen` makes one")
    log_level: str = Field(default="INFO")
    log_json: bool = Field(default=True, description="JSON log lines (false: plain text for "
                           "a terminal); either way with trace and correlation ids")
    key_file: Path | None = Field(
        default=None, description="the field-encryption key file (a mounted secret); default "
        "<data_dir>/keys/field-keys.json, created on first use")

    vendor_read_cache_seconds: float = Field(
        default=30.0, ge=0, le=3600, description="how long this process keeps an invoice's "
        "status read from the vendors (GET /v1/invoices/{n}); 0: ask every time")
    vendor_calls_per_minute: int = Field(
        default=30, ge=1, le=100_000, description="requests per minute one token may make "
        "that reach a vendor (invoice lookups not cached, probes); beyond: 429 Retry-After")
    http_read_timeout_seconds: float = Field(
        default=15.0, gt=0, le=600, description="`accord serve`: a request whose headers or "
        "body do not arrive within this time is answered 408 and its connection closed")
    http_keep_alive_seconds: int = Field(
        default=5, ge=1, le=600, description="`accord serve`: an idle kept-alive connection "
        "is closed after this time")
    http_max_connections: int = Field(
        default=500, ge=1, le=1_000_000, description="`accord serve`: connections and "
        "requests served at once; beyond, new requests get 503")

    @property
    def effective_key_file(self) -> Path:
        return self.key_file or self.data_dir / "keys" / "field-keys.json"

    @property
    def effective_database_url(self) -> str:
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return f"sqlite:///{(self.data_dir / 'accord.db').as_posix()}"

    @property
    def display_database_url(self) -> str:
        """The database URL with any password hidden (safe for logs and the console)."""
        return make_url(self.effective_database_url).render_as_string(hide_password=True)

    @property
    def is_postgres(self) -> bool:
        return make_url(self.effective_database_url).get_backend_name() == "postgresql"


class EnvironmentSettings(_Base):
    """The ``[environments]`` table: the environments whose signed reference-data bundles
    this one accepts, by name, with their public keys::

        [environments.trusted]
        test = "u4Fz...="          # printed by `accord refdata keygen` in the test environment
    """

    model_config = SettingsConfigDict(env_prefix="ACCORD_ENVIRONMENTS_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("environments",)

    trusted: dict[Environment, str] = Field(
        default_factory=dict, description="environment name -> its public key (base64)")


SANDBOX_PATH = "/__sandbox"
"""The control plane every local sandbox serves; a URL under it is a sandbox's."""


def is_sandbox_url(url: str) -> bool:
    """Whether ``url`` points at a local sandbox: a loopback host (``127.0.0.1``,
    ``localhost``, ``::1``), the unspecified address, or a sandbox's control-plane path."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if SANDBOX_PATH in parts.path:
        return True
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


class SystemSettings(_Base):
    """Base for one connector's settings (``[systems.<name>]`` and ``ACCORD_<NAME>_*``).

    Subclasses set ``model_config = SettingsConfigDict(env_prefix="ACCORD_STRIPE_", ...)`` and
    ``toml_table = ("systems", "stripe")``.
    """

    enabled: bool = True
    base_url: str | None = Field(
        default=None, description="API base URL; unset means the vendor's own service")

    @property
    def configured(self) -> bool:
        """Whether the credentials a connection needs are set (each connector says which)."""
        return True

    @property
    def missing(self) -> str:
        """What to set when :attr:`configured` is false, for one line of help."""
        return ""

    def endpoints(self) -> dict[str, str]:
        """The URLs this system is reached at, by setting name (a connector with more than
        ``base_url`` adds its own)."""
        return {"base_url": self.base_url} if self.base_url else {}

    def production_problems(self) -> list[str]:
        """Why these settings must not run in production (sandbox URLs; a connector adds
        its own, such as test keys), each naming the setting; empty when they may."""
        return [f"{name}: {url} is a local sandbox, not the vendor's service"
                for name, url in self.endpoints().items() if is_sandbox_url(url)]


def load_settings() -> AccordSettings:
    return AccordSettings()


__all__ = [
    "AccordSettings",
    "ConfigFileError",
    "Environment",
    "EnvironmentSettings",
    "SystemSettings",
    "TomlTableSource",
    "config_path",
    "is_sandbox_url",
    "load_settings",
    "read_config_file",
    "secrets_dir",
]
