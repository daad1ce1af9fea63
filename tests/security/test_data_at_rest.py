"""Personal data at rest: a real flow on the sandboxes leaves no seeded customer's e-mail,
name or tax id in plaintext in any table (accord's and the engine's), operators still see
them through the API and the console, ``accord keys rotate`` seals everything again with a
new key, and the database and its folder are private to their owner."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, select, text
from typer.testing import CliRunner

from accord.api.tokens import Access
from accord.cli import app as cli
from accord.engine import Runtime
from accord.flows.systems import Systems
from accord.store.models import InboxEntry, TimelineEntry, utcnow
from accord.store.retention import apply_retention
from accord.store.sealing import PREFIX
from tests.demo_month import DemoMonth, salesforce_query
from tests.flows.support import every_deal_won
from tests.security.support import App, console_login

runner = CliRunner()


def plaintext_hits(url: str, needles: set[str]) -> dict[str, set[str]]:
    """Every table and column (accord's and the engine's) holding any needle, compared
    case-insensitively, in any cell read as text."""
    engine = create_engine(url)
    found: dict[str, set[str]] = {}
    lowered = {needle.casefold() for needle in needles}
    try:
        with engine.connect() as connection:
            for table in inspect(connection).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')).mappings():
                    for column, value in row.items():
                        cell = (value.decode("utf-8", "replace") if isinstance(value, bytes)
                                else str(value)).casefold()
                        hits = {needle for needle in lowered if needle in cell}
                        if hits:
                            found.setdefault(f"{table}.{column}", set()).update(hits)
    finally:
        engine.dispose()
    return found


def test_a_real_flow_stores_no_personal_field_in_plaintext(
        engine: Runtime, make_systems: object, app: App, sqlite_url: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    found: Systems = make_systems()  # type: ignore[operator]
    scenario, seeded = every_deal_won(engine, found)
    personal = {value for account in scenario.accounts
                for value in (account.legal_name, account.billing_email, account.tax_id)
                if value}
    assert plaintext_hits(sqlite_url, personal) == {}

    # operators still read them, through the API and the console
    good = next(account for account in scenario.accounts if account.defect is None
                and any(deal.account_ref == account.ref and deal.defect is None
                        for deal in scenario.deals))
    canonical_id = found.salesforce.get("Account", seeded.accounts[good.ref])["Accord_Id__c"]
    shown = app.client.get(f"/v1/customers/{canonical_id}",
                           headers=app.auth(Access.OPERATOR)).json()["fields"]
    assert shown["legal_name"]["value"] == good.legal_name
    assert good.billing_email in str(shown["contacts"]["value"])
    console_login(app, Access.OPERATOR)
    assert good.legal_name in app.client.get("/console/customers").text
    assert good.billing_email in app.client.get(f"/console/customers/{canonical_id}").text

    # a new key: every stored value sealed again with it, still readable
    monkeypatch.setenv("ACCORD_DATABASE_URL", sqlite_url)
    rotated = runner.invoke(cli, ["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    new_key = rotated.stdout.strip().splitlines()[-1]
    sealed = plaintext_hits(sqlite_url, {PREFIX})
    assert sealed
    stale = {column for column in sealed
             if not column.startswith(("workflow_", "operation_"))  # the engine's history
             and _keys_in(sqlite_url, column) - {new_key}}
    assert stale == set()
    again = app.client.get(f"/v1/customers/{canonical_id}",
                           headers=app.auth(Access.OPERATOR)).json()["fields"]
    assert again["legal_name"]["value"] == good.legal_name
    assert plaintext_hits(sqlite_url, personal) == {}

    # past the retention period the payloads go; the events' identities stay for dedup
    purged = apply_retention(engine.database, 90, now=utcnow() + timedelta(days=91))
    assert purged.inbox_payloads > 0
    assert purged.timeline_details > 0
    with engine.database.session() as session:
        inbox = session.scalars(select(InboxEntry)).all()
        assert inbox
        assert all(row.payload == {} for row in inbox if row.status == "started")
        assert all(row.detail is None and row.error_message is None
                   for row in session.scalars(select(TimelineEntry)))


def _keys_in(url: str, column: str) -> set[str]:
    """The key ids of the sealed values in ``table.column``."""
    table, name = column.split(".", 1)
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            cells = [str(value) for (value,) in connection.execute(
                text(f'SELECT "{name}" FROM "{table}"'))]
    finally:
        engine.dispose()
    keys = set()
    for cell in cells:
        for part in cell.split(PREFIX)[1:]:
            keys.add(part.split(":", 1)[0])
    return keys


def test_the_data_directory_and_database_are_private(tmp_path: Path) -> None:
    assert runner.invoke(cli, ["db", "upgrade"]).exit_code == 0
    data = tmp_path / ".accord"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert stat.S_IMODE((data / "accord.db").stat().st_mode) == 0o600
    keys = data / "keys" / "field-keys.json"
    runner.invoke(cli, ["keys", "status"])
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.parent.stat().st_mode) == 0o700


def test_a_demo_month_leaves_no_customer_field_in_plaintext(demo_month: DemoMonth) -> None:
    """The README's running demo month (``tests/demo_month.py``): no name or e-mail of the
    customers its CRM holds is in plaintext in any table of its database, accord's or the
    engine's, while its administrator reads them through the API."""
    accounts = salesforce_query(
        demo_month, "SELECT Id, Name, Billing_Email__c, VAT_Number__c, Accord_Id__c FROM Account")
    personal = {account[field] for account in accounts
                for field in ("Name", "Billing_Email__c", "VAT_Number__c") if account.get(field)}
    assert len(accounts) >= 25
    assert any(account.get("Billing_Email__c") for account in accounts)
    database = demo_month.data / ".accord" / "accord.db"
    assert database.is_file()
    assert plaintext_hits(f"sqlite:///{database}", personal) == {}

    known = next(account for account in accounts if account.get("Accord_Id__c"))
    with demo_month.api() as api:
        shown = api.get(f"/v1/customers/{known['Accord_Id__c']}")
    assert shown.status_code == 200, shown.text
    assert shown.json()["fields"]["legal_name"]["value"] == known["Name"]
