"""Configuration: accord.toml, environment overrides, secret files; secrets never printed."""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import pytest
from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from accord.settings import (
    AccordSettings,
    ConfigFileError,
    EnvironmentSettings,
    SystemSettings,
    is_sandbox_url,
    load_settings,
)


class DemoSystemSettings(SystemSettings):
    model_config = SettingsConfigDict(env_prefix="ACCORD_DEMO_", extra="ignore")
    toml_table: ClassVar[tuple[str, ...]] = ("systems", "demo")

    api_key: SecretStr | None = None
    page_size: int = 100


def write_config(tmp_path: Path, body: str) -> None:
    (tmp_path / "accord.toml").write_text(body)


def test_defaults_use_embedded_sqlite(tmp_path: Path) -> None:
    settings = load_settings()
    assert settings.effective_database_url == f"sqlite:///{tmp_path}/.accord/accord.db"
    assert not settings.is_postgres


def test_toml_then_environment_override(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(tmp_path, 'log_level = "DEBUG"\nenvironment = "staging"\n'
                           '[systems.demo]\npage_size = 50\napi_key = "from-file"\n')
    monkeypatch.setenv("ACCORD_ENVIRONMENT", "production")
    settings = AccordSettings()
    assert (settings.log_level, settings.environment) == ("DEBUG", "production")
    system = DemoSystemSettings()
    assert system.page_size == 50
    monkeypatch.setenv("ACCORD_DEMO_PAGE_SIZE", "7")
    assert DemoSystemSettings().page_size == 7


def test_secret_files_and_masking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secrets = tmp_path / "secrets"
    secrets.mkdir()
    (secrets / "ACCORD_DEMO_API_KEY").write_text("sk_test_supersecret")
    monkeypatch.setenv("ACCORD_SECRETS_DIR", str(secrets))
    system = DemoSystemSettings()
    assert system.api_key is not None
    assert system.api_key.get_secret_value() == "sk_test_supersecret"
    assert "supersecret" not in repr(system)
    assert "supersecret" not in str(system.model_dump())


def test_database_password_is_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", "postgresql://accord:hunter2@db:5432/accord")
    settings = load_settings()
    assert settings.is_postgres
    assert "hunter2" not in settings.display_database_url
    assert "hunter2" not in repr(settings)


def test_malformed_config_file_names_the_file(tmp_path: Path) -> None:
    write_config(tmp_path, "log_level = \n")
    with pytest.raises(ConfigFileError, match=r"accord\.toml"):
        load_settings()


@pytest.mark.parametrize(("url", "sandbox"), [
    ("http://127.0.0.1:12111", True), ("https://localhost:12112", True),
    ("http://[::1]:12113/services/rest", True), ("http://0.0.0.0:12114", True),
    ("https://stripe.internal.example.com/__sandbox/stripe", True),
    ("https://api.stripe.com", False), ("https://acme.my.salesforce.com", False),
    ("https://10.0.0.5:8443", False),
])
def test_a_sandbox_url_is_a_loopback_host_or_a_sandbox_path(url: str, sandbox: bool) -> None:
    assert is_sandbox_url(url) is sandbox


def test_environment_names_are_checked(tmp_path: Path,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_ENVIRONMENT", "prod")
    with pytest.raises(ValidationError, match="environment"):
        load_settings()
    write_config(tmp_path, '[environments.trusted]\nstaging = "x"\n')
    with pytest.raises(ValidationError, match=r"trusted\.staging"):
        EnvironmentSettings()
