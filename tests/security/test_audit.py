"""The audit log: every write names the token that made it, and ``accord audit verify``
finds an edited or a deleted row."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from typer.testing import CliRunner

from accord.api.tokens import Access, token_id_of
from accord.cli import app as cli
from accord.store.models import AuditLog
from tests.security.support import ORIGIN, App, console_login, open_an_exception

runner = CliRunner()


def _person_actions(app: App, sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Writes by people, through the API, the console and the CLI."""
    first = open_an_exception(app, "evt_audit_1")
    second = open_an_exception(app, "evt_audit_2")
    operator = app.auth(Access.OPERATOR)
    assert app.client.post(f"/v1/exceptions/{first}/resolve", json={"note": "fixed"},
                           headers=operator).status_code == 200
    assert app.client.post("/v1/usage", headers=operator, json={"records": [{
        "id": "u-1", "account_id": "acct-1", "sku": "API-CALLS", "quantity": "3",
        "occurred_at": "2026-11-03T10:00:00Z"}]}).status_code == 202
    console_login(app, Access.OPERATOR)
    assert app.client.post(f"/console/exceptions/{second}/ignore", data={"note": "noise"},
                           headers={"Origin": ORIGIN}, follow_redirects=False
                           ).status_code == 303
    assert app.client.post("/console/logout", headers={"Origin": ORIGIN},
                           follow_redirects=False).status_code == 303
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    made = runner.invoke(cli, ["tokens", "create", "--name", "auditor"])
    assert made.exit_code == 0, made.output


def test_every_write_by_a_person_names_its_token(app: App, sqlite_url: str,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    _person_actions(app, sqlite_url, monkeypatch)
    with app.db.session() as session:
        operator_id = token_id_of(session, app.tokens[Access.OPERATOR])
        rows = {row.action: row for row in session.scalars(select(AuditLog))}
    for action in ("exception.resolved", "usage.report", "session.open", "exception.ignored",
                   "session.close"):
        assert rows[action].token_id == operator_id, action
    created = rows["token.create"]
    assert created.detail is not None
    assert created.detail["name"] == "auditor"
    assert all(row.hash is not None for row in rows.values())


@pytest.mark.parametrize("tamper", ["edit", "delete"])
def test_audit_verify_finds_an_edited_or_deleted_row(app: App, sqlite_url: str,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     tamper: str) -> None:
    _person_actions(app, sqlite_url, monkeypatch)
    intact = runner.invoke(cli, ["audit", "verify"])
    assert intact.exit_code == 0, intact.output
    assert "audit chain intact" in intact.stdout
    with app.db.session() as session:
        ids = list(session.scalars(select(AuditLog.id).order_by(AuditLog.id)))
    victim = ids[len(ids) // 2]
    engine = create_engine(sqlite_url)
    with engine.begin() as connection:  # as someone with the database file would
        if tamper == "edit":
            connection.execute(text("UPDATE audit_log SET actor = 'someone-else' "
                                    "WHERE id = :id"), {"id": victim})
        else:
            connection.execute(text("DELETE FROM audit_log WHERE id = :id"), {"id": victim})
    engine.dispose()
    broken = runner.invoke(cli, ["audit", "verify"])
    assert broken.exit_code == 1
    named = victim if tamper == "edit" else ids[ids.index(victim) + 1]
    assert f"audit row {named}:" in broken.output
