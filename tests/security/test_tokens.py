"""Tokens: ids, unique names, expiry, scopes (read, exceptions, replay, admin) within the
role, administrators alone manage tokens, and the audit log names the token's id."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select, update
from typer.testing import CliRunner

from accord.api.tokens import (
    LIFETIME_PATTERN,
    Access,
    Scope,
    authenticate,
    create_token,
    parse_lifetime,
    token_id_of,
)
from accord.cli import app as cli
from accord.store import Database
from accord.store.models import ApiToken, AuditLog
from tests.security.support import ORIGIN, App, console_login, open_an_exception

runner = CliRunner()


def test_tokens_list_shows_ids_names_roles_scopes_expiry_and_last_use(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    made = runner.invoke(cli, ["tokens", "create", "--role", "operator", "--name", "replayer",
                               "--scope", "replay", "--expires-in", "12h"])
    assert made.exit_code == 0, made.output
    assert "created token 1:" in made.stderr
    assert "scopes read, replay" in made.stderr
    token = made.stdout.strip()
    forever = runner.invoke(cli, ["tokens", "create", "--name", "wallboard",
                                  "--expires-in", "never"])
    assert forever.exit_code == 0, forever.output
    assert "created token 2:" in forever.stderr
    assert "without expiry" in forever.stderr

    db = Database(sqlite_url)
    try:
        with db.session() as session:
            row = session.get(ApiToken, 1)
            assert row is not None
            assert row.expires_at is not None
            lifetime = row.expires_at - row.created_at
            assert 11 * 3600 < lifetime.total_seconds() <= 12 * 3600 + 60
            assert authenticate(session, token) is not None  # marks it used
    finally:
        db.dispose()
    listed = runner.invoke(cli, ["tokens", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in map(json.loads, listed.stdout.splitlines())}
    replayer, wallboard = rows["replayer"], rows["wallboard"]
    assert (replayer["id"], replayer["role"], replayer["scopes"], replayer["state"]) == (
        1, "operator", ["read", "replay"], "active")
    assert replayer["last_used_at"] is not None
    assert replayer["expires_at"] is not None
    assert (wallboard["id"], wallboard["role"], wallboard["scopes"]) == (2, "viewer", ["read"])
    assert (wallboard["last_used_at"], wallboard["expires_at"]) == (None, None)
    assert runner.invoke(cli, ["tokens", "list"]).exit_code == 0  # the table for people


@pytest.mark.parametrize(("arguments", "says"), [
    (["--name", "taken"], "name: a token named 'taken' exists"),
    (["--name", "spy", "--scope", "replay"], "scope: a viewer token may not hold replay"),
    (["--name", "boss", "--role", "operator", "--scope", "admin"],
     "scope: a operator token may not hold admin"),
    (["--name", "soon", "--expires-in", "tomorrow"], "expires_in: 'tomorrow' is not a duration"),
    (["--name", "both", "--expires-in", "1d", "--expires-days", "1"], "expires_in:"),
    (["--name", "evil\x1b[2J"], "name: 1 to 120 printable characters"),
])
def test_a_bad_token_request_is_refused_naming_its_field(
        sqlite_url: str, monkeypatch: pytest.MonkeyPatch, arguments: list[str],
        says: str) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    assert runner.invoke(cli, ["tokens", "create", "--name", "taken"]).exit_code == 0
    refused = runner.invoke(cli, ["tokens", "create", *arguments])
    assert refused.exit_code == 1, refused.output
    assert says in refused.output
    listed = runner.invoke(cli, ["tokens", "list", "--json"])
    assert [json.loads(line)["name"] for line in listed.stdout.splitlines()] == ["taken"]


def _token(app: App, name: str, role: Access, *scopes: Scope) -> dict[str, str]:
    with app.db.session() as session:
        token = create_token(session, name, role, scopes=scopes or None)
    return {"Authorization": f"Bearer {token}"}


def test_a_scope_narrows_what_a_token_may_do_within_its_role(app: App) -> None:
    exception_id = open_an_exception(app)
    reader = _token(app, "ops-reader", Access.OPERATOR, Scope.READ)
    replayer = _token(app, "ops-replayer", Access.OPERATOR, Scope.REPLAY)
    closer = _token(app, "ops-closer", Access.OPERATOR, Scope.EXCEPTIONS)
    close = f"/v1/exceptions/{exception_id}/ignore"
    for who in (reader, replayer):
        refused = app.client.post(close, json={"note": "noise"}, headers=who)
        assert refused.status_code == 403, refused.text
        assert "scope" in refused.json()["detail"]
        assert app.client.get(f"/v1/exceptions/{exception_id}", headers=who).status_code == 200
    usage = {"records": [{"id": "u-1", "account_id": "acct-1", "sku": "API-CALLS",
                          "quantity": "3", "occurred_at": "2026-11-03T10:00:00Z"}]}
    assert app.client.post("/v1/usage", json=usage, headers=closer).status_code == 403
    assert app.client.post("/v1/usage", json=usage, headers=replayer).status_code == 202
    done = app.client.post(close, json={"note": "noise"}, headers=closer)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "ignored"


def test_the_console_honours_a_tokens_scopes(app: App) -> None:
    exception_id = open_an_exception(app)
    with app.db.session() as session:
        token = create_token(session, "ops-console-reader", Access.OPERATOR, scopes=[Scope.READ])
    assert app.client.post("/console/login", data={"token": token}, headers={"Origin": ORIGIN},
                           follow_redirects=False).status_code == 303
    page = app.client.get(f"/console/exceptions/{exception_id}")
    assert page.status_code == 200
    assert "/resolve" not in page.text  # no button it may not press
    refused = app.client.post(f"/console/exceptions/{exception_id}/resolve",
                              data={"note": "fixed"}, headers={"Origin": ORIGIN},
                              follow_redirects=False)
    assert refused.status_code == 403
    shown = app.client.get(f"/v1/exceptions/{exception_id}",
                           headers=app.auth(Access.VIEWER)).json()
    assert shown["status"] == "open"


def test_only_administrators_manage_tokens_and_the_audit_names_the_token_id(app: App) -> None:
    admin = app.auth(Access.ADMIN)
    for role in (Access.VIEWER, Access.OPERATOR):
        assert app.client.get("/v1/tokens", headers=app.auth(role)).status_code == 403
        assert app.client.post("/v1/tokens", json={"name": "x"},
                               headers=app.auth(role)).status_code == 403
    narrowed = _token(app, "admin-reader", Access.ADMIN, Scope.READ)
    assert app.client.get("/v1/tokens", headers=narrowed).status_code == 403
    console_login(app, Access.OPERATOR)

    made = app.client.post("/v1/tokens", headers=admin, json={
        "name": "finance dashboard", "role": "viewer", "expires_in": "30d"})
    assert made.status_code == 201, made.text
    created = made.json()
    assert (created["name"], created["role"], created["scopes"], created["state"]) == (
        "finance dashboard", "viewer", ["read"], "active")
    assert created["token"].startswith("acc_")
    fresh = {"Authorization": f"Bearer {created['token']}"}
    assert app.client.get("/v1/exceptions", headers=fresh).status_code == 200

    again = app.client.post("/v1/tokens", headers=admin, json={"name": "finance dashboard",
                                                               "role": "operator"})
    assert again.status_code == 409
    assert "name" in again.json()["detail"]
    beyond = app.client.post("/v1/tokens", headers=admin, json={
        "name": "sneaky", "role": "viewer", "scopes": ["admin"]})
    assert beyond.status_code == 422
    assert "scope" in beyond.text

    listed = app.client.get("/v1/tokens", headers=admin).json()
    assert "token" not in listed[0]
    mine = next(row for row in listed if row["id"] == created["id"])
    assert mine["last_used_at"] is not None

    revoked = app.client.post(f"/v1/tokens/{created['id']}/revoke", headers=admin)
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    assert app.client.get("/v1/exceptions", headers=fresh).status_code == 401
    assert app.client.post(f"/v1/tokens/{created['id']}/revoke",
                           headers=admin).status_code == 404

    with app.db.session() as session:
        admin_id = token_id_of(session, app.tokens[Access.ADMIN])
        rows = {row.action: row for row in session.scalars(
            select(AuditLog).where(AuditLog.target_type == "token"))}
    assert rows["token.create"].token_id == admin_id
    assert rows["token.create"].target_id == str(created["id"])
    assert rows["token.revoke"].token_id == admin_id
    assert rows["token.revoke"].target_id == str(created["id"])


def test_a_token_from_before_scopes_keeps_every_scope_of_its_role(app: App) -> None:
    with app.db.session() as session:
        session.execute(update(ApiToken).values(scopes=None))
    exception_id = open_an_exception(app, "evt_before_scopes")
    closed = app.client.post(f"/v1/exceptions/{exception_id}/ignore", json={"note": "old"},
                             headers=app.auth(Access.OPERATOR))
    assert closed.status_code == 200, closed.text
    listed = app.client.get("/v1/tokens", headers=app.auth(Access.ADMIN)).json()
    assert {row["role"]: row["scopes"] for row in listed} == {
        "viewer": ["read"], "operator": ["exceptions", "read", "replay"],
        "admin": ["admin", "exceptions", "read", "replay"]}


def test_the_api_schema_admits_exactly_the_lifetimes_accord_accepts() -> None:
    """What the OpenAPI schema lets a client send as ``expires_in`` is accepted (a lifetime
    beyond ten years, say ``5814d``, was schema-valid and refused)."""

    def accepted(text: str) -> bool:
        try:
            parse_lifetime(text)
        except ValueError:
            return False
        return True

    for unit, top in (("m", 1_000_000), ("h", 90_000), ("d", 4_000), ("w", 600)):
        for number in range(top + 1):
            text = f"{number}{unit}"
            assert (re.fullmatch(LIFETIME_PATTERN, text) is not None) == accepted(text), text
    assert re.fullmatch(LIFETIME_PATTERN, "never")
    assert accepted("never")
