"""Console sessions and tokens: the cookie is an opaque, expiring, revocable session id;
tokens have ids, unique names and an expiry."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from accord.api.deps import COOKIE
from accord.api.sessions import SESSION_LIFETIME
from accord.api.tokens import Access, create_token
from accord.cli import app as cli
from accord.store.models import ConsoleSession, utcnow
from tests.security.support import ORIGIN, App, console_login

runner = CliRunner()


def test_the_console_cookie_is_an_opaque_session_not_the_token(app: App) -> None:
    answer = app.client.post("/console/login", data={"token": app.tokens[Access.OPERATOR]},
                             headers={"Origin": ORIGIN}, follow_redirects=False)
    cookie = answer.headers["set-cookie"]
    value = app.client.cookies[COOKIE]
    assert app.tokens[Access.OPERATOR] not in cookie
    assert value.startswith("ses_")
    assert "httponly" in cookie.lower()
    assert "samesite=strict" in cookie.lower()
    assert f"max-age={int(SESSION_LIFETIME.total_seconds())}" in cookie.lower()
    with app.db.session() as session:
        row = session.scalars(select(ConsoleSession)).one()
        assert row.expires_at - row.created_at == SESSION_LIFETIME
    # a token pasted into the cookie does not sign in
    app.client.cookies.clear()
    app.client.cookies.set(COOKIE, app.tokens[Access.OPERATOR])
    assert app.client.get("/console", follow_redirects=False).status_code == 303


def test_the_cookie_is_secure_when_the_browser_came_over_https_through_a_proxy(
        app: App) -> None:
    plain = app.client.post("/console/login", data={"token": app.tokens[Access.VIEWER]},
                            headers={"Origin": ORIGIN}, follow_redirects=False)
    assert "secure" not in plain.headers["set-cookie"].lower()  # local HTTP keeps working
    proxied = app.client.post("/console/login", data={"token": app.tokens[Access.VIEWER]},
                              headers={"Origin": ORIGIN, "X-Forwarded-Proto": "https"},
                              follow_redirects=False)
    assert proxied.status_code == 303
    assert "; secure" in proxied.headers["set-cookie"].lower()


def test_logout_revokes_the_session_on_the_server(app: App) -> None:
    console_login(app, Access.VIEWER)
    copied = app.client.cookies[COOKIE]
    assert app.client.get("/console").status_code == 200
    out = app.client.post("/console/logout", headers={"Origin": ORIGIN},
                          follow_redirects=False)
    assert out.status_code == 303
    with TestClient(app.client.app, base_url=ORIGIN) as thief:
        thief.cookies.set(COOKIE, copied)
        assert thief.get("/console", follow_redirects=False).headers["location"] == \
            "/console/login"
        assert thief.get("/v1/exceptions").status_code == 401


def test_an_expired_session_or_token_signs_nobody_in(app: App) -> None:
    console_login(app, Access.VIEWER)
    with app.db.session() as session:  # the session's twelve hours have passed
        for row in session.scalars(select(ConsoleSession)):
            row.expires_at = utcnow() - timedelta(seconds=1)
        expired = create_token(session, "expired", Access.ADMIN,
                               expires_at=utcnow() - timedelta(seconds=1))
    assert app.client.get("/console", follow_redirects=False).status_code == 303
    assert app.client.get("/v1/exceptions", headers={
        "Authorization": f"Bearer {expired}"}).status_code == 401


def test_tokens_have_ids_unique_names_an_expiry_and_a_list() -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli, ["tokens", "create", "--role", "operator", "--name", "ops"])
    assert made.exit_code == 0, made.output
    assert "created token 1:" in made.stderr
    assert "until" in made.stderr
    again = runner.invoke(cli, ["tokens", "create", "--name", "ops"])
    assert again.exit_code == 1
    assert "exists" in again.output
    listed = runner.invoke(cli, ["tokens", "list"], terminal_width=200)
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if " ops " in line)
    cells = [cell.strip() for cell in row.strip("│┃ ").split("│")]
    assert cells[:3] == ["1", "ops", "operator"]
    assert cells[-1] == "active"
