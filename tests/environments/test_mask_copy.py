"""``accord data mask-copy`` on a store written by a real flow (deals won in the Salesforce
sandbox, customers and subscriptions in Stripe, invoices in NetSuite): the copy holds no
seeded customer's name, e-mail or tax id, has the same rows and the same amounts, joins on
its pseudonyms, is marked as a masked copy, and is never made into a production database."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from accord.engine import Runtime
from accord.flows.systems import Systems
from accord.observability import tracing
from accord.store import Database
from accord.store.masked_copy import NOT_COPIED
from accord.store.models import Base, EnvironmentMark, GoldenRecord, Xref
from accord.store.sealing import bind_keys
from tests.environments.support import ok, refused, site
from tests.flows.support import every_deal_won


def _dump(url: str, keys: Path | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every copied table's rows, read through the store (sealed values opened with the
    key file of ``url``, or ``keys``)."""
    database = Database(url)
    if keys is not None:
        bind_keys(database.engine, url, keys)
    try:
        with database.engine.connect() as connection:
            return {table.name: [dict(row) for row in connection.execute(
                        select(table).order_by(*table.primary_key.columns)).mappings()]
                    for table in Base.metadata.sorted_tables if table.name not in NOT_COPIED}
    finally:
        database.dispose()


def _numbers(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every number inside a value, with where it sits (amounts, quantities, counts)."""
    if isinstance(value, dict):
        return [found for key, item in sorted(value.items())
                for found in _numbers(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value)
                for found in _numbers(item, f"{path}[{index}]")]
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return [(path, value)]
    if isinstance(value, str) and value.replace(".", "", 1).lstrip("-").isdigit() \
            and "." in value:
        return [(path, value)]  # amounts as decimal strings
    return []


def test_a_masked_copy_of_a_store_written_by_real_flows(
        engine: Runtime, make_systems: object, sqlite_url: str, postgres_url: str,
        tmp_path: Path) -> None:
    """From the flows' SQLite store into an empty PostgreSQL database."""
    found: Systems = make_systems()  # type: ignore[operator]
    scenario, _seeded = every_deal_won(engine, found)
    tracing.flush()  # every span of the finished flows written before the store is copied
    personal = {value for account in scenario.accounts
                for value in (account.legal_name, account.billing_email, account.tax_id)
                if value}

    source = _dump(sqlite_url)
    assert any(value.casefold() in repr(source).casefold() for value in personal)

    copy_url, copy_keys = postgres_url, tmp_path / "copy-keys" / "field-keys.json"
    operator = site(tmp_path, "operator")
    output = ok(operator.run("data", "mask-copy", "--from", sqlite_url, "--to", copy_url,
                             "--to-key-file", str(copy_keys)))
    assert "golden_record" in output

    copy = _dump(copy_url, copy_keys)
    text = repr(copy).casefold()
    assert sorted(value for value in personal if value.casefold() in text) == []
    assert {name: len(rows) for name, rows in copy.items()} == \
        {name: len(rows) for name, rows in source.items()}
    assert len(copy["golden_record"]) > 0
    assert len(copy["inbox"]) > 0
    for table, rows in source.items():  # ids, dates and every amount as they were
        for before, after in zip(rows, copy[table], strict=True):
            assert _numbers(before) == _numbers(after), table
            assert {key: value for key, value in before.items()
                    if key.endswith(("_at", "id")) and not isinstance(value, dict)} == \
                {key: value for key, value in after.items()
                 if key.endswith(("_at", "id")) and not isinstance(value, dict)}, table

    # the same customer has the same pseudonym wherever it appears, and xrefs still join
    database = Database(copy_url)
    bind_keys(database.engine, copy_url, copy_keys)
    try:
        with database.session() as session:
            mark = session.get(EnvironmentMark, 1)
            assert mark is not None
            assert (mark.environment, mark.masked_from) == ("test", sqlite_url)
            golden = session.scalars(select(GoldenRecord).where(
                GoldenRecord.entity_type == "customer")).all()
            names = {record.canonical_id: record.data["legal_name"] for record in golden
                     if "legal_name" in record.data}
            assert names
            assert all(name.startswith("masked-") for name in names.values())
            for record in golden:  # every version of one customer: one pseudonym
                if "legal_name" in record.data:
                    assert record.data["legal_name"] == names[record.canonical_id]
            linked = session.scalars(select(Xref.canonical_id)).all()
            assert set(names) <= set(linked)
            # new rows continue after the copied ids (PostgreSQL's sequences moved on)
            added = Xref(canonical_id="cus_new", entity_type="customer", system="crm",
                         system_id="new-after-copy")
            session.add(added)
            session.flush()
            assert added.id > max(row["id"] for row in copy["xref"])
    finally:
        database.dispose()

    # the copy is a test database: a test installation opens it, production does not
    tester = site(tmp_path, "tester", ACCORD_DATABASE_URL=copy_url, ACCORD_ENVIRONMENT="test",
                  ACCORD_KEY_FILE=str(copy_keys))
    ok(tester.run("tokens", "create", "--role", "viewer", "--name", "tester"))
    refused(tester.run("tokens", "list", ACCORD_ENVIRONMENT="production"),
            "the database is a test database (a masked copy of")
    refused(operator.run("data", "mask-copy", "--from", sqlite_url, "--to", copy_url,
                         "--to-key-file", str(copy_keys)), "already holds an accord store")


def test_a_masked_copy_is_never_written_into_production(tmp_path: Path) -> None:
    production_url = f"sqlite:///{tmp_path / 'production.db'}"
    source_url = f"sqlite:///{tmp_path / 'source' / 'accord.db'}"
    production = site(tmp_path, "production", ACCORD_ENVIRONMENT="production",
                      ACCORD_DATABASE_URL=production_url)
    ok(production.run("tokens", "list"))
    source = site(tmp_path, "source", ACCORD_DATABASE_URL=source_url)
    ok(source.run("tokens", "list"))
    refused(source.run("data", "mask-copy", "--from", source_url, "--to", production_url),
            "a production database is not written to by a masked copy")
    refused(source.run("data", "mask-copy", "--from", source_url, "--to",
                       f"sqlite:///{tmp_path / 'new.db'}", "--environment", "production"),
            "never production")
