"""The production guard, as subprocesses: a production installation does not start against
a sandbox URL or a Stripe test key, a database keeps the environment it was made for, and
the demo and the sandboxes refuse a production database."""

from __future__ import annotations

from pathlib import Path

from tests.environments.support import ok, refused, site

SANDBOXED = """
[systems.stripe]
base_url = "http://127.0.0.1:9"
api_key = "sk_test_guard"
max_attempts = 1
timeout_seconds = 2
"""


def test_production_does_not_start_against_a_sandbox_or_a_test_key(tmp_path: Path) -> None:
    production = site(tmp_path, "production", ACCORD_ENVIRONMENT="production")
    production.config(SANDBOXED)
    line = refused(production.run("serve", "--port", "0"), "systems.stripe.base_url")
    assert "http://127.0.0.1:9 is a local sandbox" in line
    assert "and 1 more" in line
    refused(production.run("worker"), "systems.stripe.base_url")

    doctor = production.run("doctor")
    assert doctor.returncode == 1, doctor.stdout + doctor.stderr
    assert "production: systems.stripe.base_url: http://127.0.0.1:9 is a local sandbox" \
        in doctor.stdout
    assert "production: systems.stripe.api_key: a Stripe test-mode key" in doctor.stdout
    assert "sk_test_guard" not in doctor.stdout + doctor.stderr

    production.config(SANDBOXED.replace('base_url = "http://127.0.0.1:9"\n', ""))
    refused(production.run("worker"), "systems.stripe.api_key: a Stripe test-mode key")


def test_the_same_settings_start_outside_production(tmp_path: Path) -> None:
    development = site(tmp_path, "development")
    development.config(SANDBOXED)
    doctor = development.run("doctor")
    assert "production:" not in doctor.stdout
    assert "development (database not marked yet)" in doctor.stdout


def test_a_database_keeps_the_environment_it_was_made_for(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    development = site(tmp_path, "development", ACCORD_DATABASE_URL=url)
    ok(development.run("db", "upgrade"))
    line = refused(development.run("tokens", "list", ACCORD_ENVIRONMENT="production"),
                   "the settings say production")
    assert "the database is a development database" in line
    assert "development (database: a development database)" in ok(development.run("doctor"))
    doctor = development.run("doctor", ACCORD_ENVIRONMENT="production")
    assert doctor.returncode == 1
    assert "the settings say production, the database is a development database" \
        in doctor.stdout


def test_the_demo_and_the_sandboxes_refuse_a_production_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'production.db'}"
    production = site(tmp_path, "production", ACCORD_ENVIRONMENT="production",
                      ACCORD_DATABASE_URL=url)
    ok(production.run("tokens", "list"))  # the first start marks it production

    refused(production.run("sandbox", "list"), "`accord sandbox` does not run in production")
    refused(production.run("demo", "--accounts", "12"),
            "`accord demo` does not run in production")

    developer = site(tmp_path, "developer")
    line = refused(developer.run("demo", "--accounts", "12", "--database", url),
                   "`accord demo` refuses a production database")
    assert "production.db" in line
    refused(developer.run("sandbox", "start", "stripe", ACCORD_DATABASE_URL=url),
            "`accord sandbox` refuses a production database")
    refused(developer.run("tokens", "list", ACCORD_DATABASE_URL=url),
            "the database is a production database")
    ok(developer.run("sandbox", "list"))
