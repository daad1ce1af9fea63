"""SOQL through simple-salesforce: filters, relationships, ordering, date literals, paging."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import SalesforceMalformedRequest

from accord.sandboxes.server import RunningSandbox

from .conftest import control_url


def create_accounts(sf: Salesforce, count: int, prefix: str = "Acct") -> list[str]:
    ids: list[str] = []
    for start in range(0, count, 200):
        records = [{"attributes": {"type": "Account"}, "Name": f"{prefix} {n:05d}",
                    "Accord_Id__c": f"{prefix}-{n}"}
                   for n in range(start, min(count, start + 200))]
        results = sf.restful("composite/sobjects", method="POST",
                             json={"allOrNone": True, "records": records})
        assert results is not None
        ids += [result["id"] for result in results]
    return ids


def test_query_all_pages_over_5000_records(sf: Salesforce) -> None:
    ids = create_accounts(sf, 5_100)
    first = sf.query("SELECT Id, Name FROM Account ORDER BY Name")
    assert first["totalSize"] == 5_100
    assert first["done"] is False
    assert len(first["records"]) == 2_000
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/query/")
    everything = sf.query_all("SELECT Id, Name FROM Account ORDER BY Name")
    assert everything["totalSize"] == 5_100
    assert [record["Id"] for record in everything["records"]] == ids
    assert everything["records"][-1]["Name"] == "Acct 05099"


def test_where_with_and_or_in_like_and_relationships(sf: Salesforce) -> None:
    acme = sf.Account.create({"Name": "Acme", "Industry": "Technology"})["id"]
    globex = sf.Account.create({"Name": "Globex", "Industry": "Finance"})["id"]
    for name, account, stage, amount in (("A1", acme, "Prospecting", 100),
                                         ("A2", acme, "Closed Won", 250),
                                         ("G1", globex, "Closed Won", 900),
                                         ("G2", globex, "Closed Lost", 50)):
        sf.Opportunity.create({"Name": name, "AccountId": account, "StageName": stage,
                               "CloseDate": "2026-12-01", "Amount": amount})
    won = sf.query("SELECT Name, Account.Name FROM Opportunity WHERE IsWon = true "
                   "AND (Amount > 200 OR Account.Name LIKE 'glo%') ORDER BY Amount DESC")
    assert [(r["Name"], r["Account"]["Name"]) for r in won["records"]] == [
        ("G1", "Globex"), ("A2", "Acme")]
    assert won["records"][0]["Account"]["attributes"]["type"] == "Account"
    picked = sf.query("SELECT Name FROM Opportunity WHERE StageName IN ('Prospecting', "
                      "'Closed Lost') ORDER BY Name")
    assert [r["Name"] for r in picked["records"]] == ["A1", "G2"]
    others = sf.query("SELECT Name FROM Opportunity WHERE StageName NOT IN ('Closed Won') "
                      "AND Amount <= 100 ORDER BY Name LIMIT 1")
    assert [r["Name"] for r in others["records"]] == ["A1"]
    counted = sf.query("SELECT COUNT() FROM Opportunity WHERE Account.Industry = 'finance'")
    assert counted["totalSize"] == 2


def test_date_literals_follow_the_sandbox_clock(sf: Salesforce, sandbox: RunningSandbox,
                                                control: requests.Session) -> None:
    old = sf.Account.create({"Name": "Old"})["id"]
    control.post(control_url(sandbox, "/clock/advance"), json={"seconds": 10 * 86400}
                 ).raise_for_status()
    new = sf.Account.create({"Name": "New"})["id"]
    recent = sf.query("SELECT Id FROM Account WHERE CreatedDate = LAST_N_DAYS:3")
    assert [r["Id"] for r in recent["records"]] == [new]
    today = sf.query("SELECT Id FROM Account WHERE CreatedDate = TODAY AND Name != null")
    assert [r["Id"] for r in today["records"]] == [new]
    now = datetime.fromisoformat(control.get(control_url(sandbox, "/clock")).json()["now"])
    cutoff = (now - timedelta(days=5)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    before = sf.query(f"SELECT Id FROM Account WHERE SystemModstamp < {cutoff}")
    assert [r["Id"] for r in before["records"]] == [old]


def test_query_all_includes_deleted_records(sf: Salesforce) -> None:
    gone = sf.Account.create({"Name": "Gone"})["id"]
    sf.Account.delete(gone)
    assert sf.query("SELECT Id FROM Account")["totalSize"] == 0
    deleted = sf.query_all("SELECT Id, IsDeleted FROM Account", include_deleted=True)
    assert [(r["Id"], r["IsDeleted"]) for r in deleted["records"]] == [(gone, True)]


@pytest.mark.parametrize(("soql", "code"), [
    ("SELECT Id FROM", "MALFORMED_QUERY"),
    ("SELECT Id FROM Account WHERE Name = 'a' AND Name = 'b' OR Name = 'c'", "MALFORMED_QUERY"),
    ("SELECT Nope__c FROM Account", "INVALID_FIELD"),
    ("SELECT Id FROM Lead__x", "INVALID_TYPE"),
])
def test_bad_queries_are_400(sf: Salesforce, soql: str, code: str) -> None:
    with pytest.raises(SalesforceMalformedRequest) as caught:
        sf.query(soql)
    assert caught.value.content[0]["errorCode"] == code


def test_ids_order_case_sensitively_for_keyset_paging(sf: Salesforce) -> None:
    ids = create_accounts(sf, 130)
    ordered = [r["Id"] for r in sf.query_all("SELECT Id FROM Account ORDER BY Id")["records"]]
    assert ordered == ids
    pages: list[str] = []
    after = ""
    while True:
        where = f" WHERE Id > '{after}'" if after else ""
        rows = sf.query(f"SELECT Id FROM Account{where} ORDER BY Id LIMIT 40")["records"]
        if not rows:
            break
        pages += [row["Id"] for row in rows]
        after = rows[-1]["Id"]
    assert pages == ids
    by_short_id = sf.query(f"SELECT Id FROM Account WHERE Id = '{ids[70][:15]}'")
    assert [r["Id"] for r in by_short_id["records"]] == [ids[70]]
