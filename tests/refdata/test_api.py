"""Reference-data approvals over the API: who acted is the admin token's holder, a proposer's
own token cannot approve, an operator cannot approve, and the audit rows name the tokens."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import select
from typer.testing import CliRunner

from accord.api.tokens import Access, create_token, token_id_of
from accord.cli import app as cli
from accord.store.models import AuditLog
from tests.security.support import running_app


def _propose_price_change(sqlite_url: str, tmp_path: Path, monkeypatch: Any, by: str) -> None:
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    exported = CliRunner().invoke(cli, ["refdata", "export"])
    assert exported.exit_code == 0, exported.output
    document: dict[str, Any] = json.loads(exported.output)
    document["skus"]["skus"]["BW-ONBOARD"]["prices"]["USD"] = "1750.00"
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(document))
    made = CliRunner().invoke(cli, ["refdata", "propose", str(path), "--as", by])
    assert made.exit_code == 0, made.output
    assert "skus.skus.BW-ONBOARD.prices.USD: '1500.00' -> '1750.00'" in made.output


def test_a_price_change_needs_a_second_admin_token(sqlite_url: str, tmp_path: Path,
                                                   monkeypatch: Any) -> None:
    with running_app(sqlite_url) as app:
        _propose_price_change(sqlite_url, tmp_path, monkeypatch, by="security-admin")
        with app.db.session() as session:
            second = create_token(session, "second-admin", Access.ADMIN)
        first = app.auth(Access.ADMIN)
        other = {"Authorization": f"Bearer {second}"}
        client = app.client
        assert client.post("/v1/refdata/versions/2/approve",
                           headers=app.auth(Access.OPERATOR)).status_code == 403
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
    assert rows == [("refdata.record_shipped", None), ("refdata.propose", None),
                    ("refdata.approve", second_id), ("refdata.activate", first_id),
                    ("refdata.rollback", second_id)]
