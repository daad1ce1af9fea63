"""Reference-data approvals over the API: who acted is the admin token's holder, a proposer's
own token cannot approve, viewers cannot propose, and the audit rows name the tokens."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from accord.api.tokens import Access, create_token, token_id_of
from accord.cli import app as cli
from accord.store.models import AuditLog
from tests.security.support import running_app


def _bundle(sqlite_url: str, monkeypatch: Any) -> dict[str, Any]:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    exported = CliRunner().invoke(cli, ["refdata", "export"])
    assert exported.exit_code == 0, exported.output
    document: dict[str, Any] = json.loads(exported.output)
    document["skus"]["skus"]["BW-ONBOARD"]["prices"]["USD"] = "1750.00"
    return document


def test_a_price_change_needs_a_second_admin_token(sqlite_url: str, monkeypatch: Any) -> None:
    bundle = _bundle(sqlite_url, monkeypatch)
    with running_app(sqlite_url) as app:
        with app.db.session() as session:
            second = create_token(session, "second-admin", Access.ADMIN)
        first = app.auth(Access.ADMIN)
        other = {"Authorization": f"Bearer {second}"}
        client = app.client
        assert client.post("/v1/refdata/versions", json=bundle,
                           headers=app.auth(Access.OPERATOR)).status_code == 403
        made = client.post("/v1/refdata/versions", json=bundle, headers=first)
        assert made.status_code == 201, made.text
        assert made.json()["material"] is True
        assert [c["path"] for c in made.json()["changes"]] == [
            "skus.skus.BW-ONBOARD.prices.USD"]

        refused = client.post("/v1/refdata/versions/2/activate", headers=first)
        assert refused.status_code == 409
        assert "second admin" in refused.json()["detail"]
        own = client.post("/v1/refdata/versions/2/approve", headers=first)
        assert own.status_code == 409
        assert "cannot approve" in own.json()["detail"]
        assert client.post("/v1/refdata/versions/9/approve", headers=other).status_code == 404
        approved = client.post("/v1/refdata/versions/2/approve", headers=other)
        assert approved.status_code == 200, approved.text
        assert approved.json()["approved_by"] == "second-admin"
        active = client.post("/v1/refdata/versions/2/activate", headers=first)
        assert active.json()["status"] == "active"
        listed = client.get("/v1/refdata/versions", headers=app.auth(Access.VIEWER)).json()
        assert [(v["number"], v["status"]) for v in listed] == [(1, "superseded"),
                                                               (2, "active")]
        back = client.post("/v1/refdata/rollback", headers=other).json()
        assert (back["rolled_back"], back["restored"], back["affected"]) == (2, 1, [])

        with app.db.session() as session:
            first_id = token_id_of(session, app.tokens[Access.ADMIN])
            second_id = token_id_of(session, second)
            rows = [(row.action, row.token_id) for row in session.scalars(
                select(AuditLog).where(AuditLog.action.like("refdata.%")).order_by(AuditLog.id))]
    assert rows == [("refdata.record_shipped", None), ("refdata.propose", first_id),
                    ("refdata.approve", second_id), ("refdata.activate", first_id),
                    ("refdata.rollback", second_id)]
