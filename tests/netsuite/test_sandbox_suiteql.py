"""SuiteQL over REST: the query subset, paging at 1,000 rows, errors."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from tests.netsuite.conftest import created_id, error_of

from accord.sandboxes.server import RunningSandbox

SUITEQL = "/query/v1/suiteql"


def query(ns: httpx.Client, q: str, **params: Any) -> dict[str, Any]:
    answer = ns.post(SUITEQL, json={"q": q}, params=params, headers={"Prefer": "transient"})
    assert answer.status_code == 200, answer.text
    data: dict[str, Any] = answer.json()
    return data


def seed_customers(sandbox: RunningSandbox, count: int) -> None:
    """Bulk-load through the sandbox's own record service (the HTTP path is tested elsewhere;
    5,000 signed POSTs would only slow the suite)."""
    records = sandbox.app.state.account.records  # type: ignore[attr-defined]
    for index in range(count):
        records.create("customer", {"companyName": f"Bulk {index:05d}",
                                    "subsidiary": {"id": str(1 + index % 3)}})


def test_paging_over_more_than_5000_rows(ns: httpx.Client, sandbox: RunningSandbox) -> None:
    seed_customers(sandbox, 5_250)
    first = query(ns, "SELECT id, companyname FROM customer ORDER BY id")
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == \
        (1000, True, 0, 5250)
    rels = {link["rel"]: link["href"] for link in first["links"]}
    assert rels["next"].endswith("limit=1000&offset=1000")
    ids: list[int] = []
    offset = 0
    pages = 0
    while True:
        page = query(ns, "SELECT id, companyname FROM customer ORDER BY id", limit=1000,
                     offset=offset)
        pages += 1
        ids += [int(row["id"]) for row in page["items"]]
        if not page["hasMore"]:
            break
        offset += page["count"]
    assert pages == 6
    assert len(ids) == len(set(ids)) == 5250
    assert ids == sorted(ids)
    assert page["count"] == 250
    assert ns.post(SUITEQL, json={"q": "SELECT id FROM customer"},
                   params={"limit": 1001}).status_code == 400


def test_where_order_join_and_functions(ns: httpx.Client, control: httpx.Client) -> None:
    today = datetime.fromisoformat(control.get("/clock").json()["now"]).date().isoformat()
    ids = {}
    for name, subsidiary in (("Alpha", "1"), ("Beta", "2"), ("Gamma", "1")):
        ids[name] = created_id(ns.post("/record/v1/customer", json={
            "companyName": name, "subsidiary": {"id": subsidiary}, "externalId": f"x-{name}"}))
    rows = query(ns, "SELECT c.id, c.companyname AS name FROM customer c "
                     "WHERE c.subsidiary = 1 AND (c.companyname LIKE 'A%' OR "
                     "c.companyname = 'Gamma') ORDER BY c.companyname DESC")["items"]
    assert [(r["id"], r["name"]) for r in rows] == [(ids["Gamma"], "Gamma"),
                                                    (ids["Alpha"], "Alpha")]
    assert rows[0]["links"] == []
    invoice = created_id(ns.post("/record/v1/invoice", json={
        "entity": {"id": ids["Alpha"]}, "tranDate": today, "tranId": "INV-9",
        "item": {"items": [{"item": {"id": "201"}, "amount": Decimal("10.10")}]}}))
    joined = query(ns, "SELECT t.id, t.tranid, t.type, t.foreigntotal, t.status, "
                       "c.companyname, BUILTIN.DF(t.currency) AS currency "
                       "FROM transaction t INNER JOIN customer c ON t.entity = c.id "
                       "WHERE t.type IN ('CustInvc', 'CustCred')")["items"]
    assert joined == [{"links": [], "id": invoice, "tranid": "INV-9", "type": "CustInvc",
                       "foreigntotal": "10.10", "status": "Open", "companyname": "Alpha",
                       "currency": "USD"}]
    lines = query(ns, "SELECT tl.transaction, tl.item, tl.netamount FROM transactionline tl "
                      f"WHERE tl.transaction = {invoice}")["items"]
    assert lines == [{"links": [], "transaction": invoice, "item": "201", "netamount": "10.10"}]
    left = query(ns, "SELECT c.companyname, t.id AS tran FROM customer c LEFT OUTER JOIN "
                     "transaction t ON t.entity = c.id ORDER BY c.companyname")["items"]
    assert [(r["companyname"], r.get("tran")) for r in left] == [
        ("Alpha", invoice), ("Beta", None), ("Gamma", None)]
    counted = query(ns, "SELECT COUNT(*) AS n FROM customer WHERE externalid IS NOT NULL")
    assert counted["items"][0]["n"] == "3"
    upper = query(ns, "SELECT UPPER(companyname) AS shout FROM customer WHERE id = "
                      f"'{ids['Beta']}'")["items"]
    assert upper == [{"links": [], "shout": "BETA"}]


def test_change_polling_by_lastmodifieddate(ns: httpx.Client, control: httpx.Client) -> None:
    first = created_id(ns.post("/record/v1/customer", json={"companyName": "Early",
                                                            "subsidiary": {"id": "1"}}))
    stamp = query(ns, f"SELECT lastmodifieddate FROM customer WHERE id = {first}"
                  )["items"][0]["lastmodifieddate"]
    control.post("/clock/advance", json={"seconds": 5}).raise_for_status()
    second = created_id(ns.post("/record/v1/customer", json={"companyName": "Late",
                                                             "subsidiary": {"id": "1"}}))
    after = query(ns, "SELECT id FROM customer WHERE lastmodifieddate > "
                      f"'{stamp}' ORDER BY lastmodifieddate, id")["items"]
    assert [row["id"] for row in after] == [second]
    formatted = query(ns, "SELECT id, TO_CHAR(lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS t "
                          "FROM customer WHERE lastmodifieddate >= TO_TIMESTAMP("
                          f"'{stamp[:19].replace('T', ' ')}', 'YYYY-MM-DD HH24:MI:SS') "
                          "ORDER BY id")["items"]
    assert [row["id"] for row in formatted] == [first, second]


@pytest.mark.parametrize(("q", "fragment"), [
    ("SELECT id FROM nosuchtable", "nosuchtable"),
    ("SELECT nosuchcolumn FROM customer", "nosuchcolumn"),
    ("SELECT id FROM customer WHERE", "end of query"),
    ("DELETE FROM customer", "select"),
])
def test_bad_queries_are_400(ns: httpx.Client, q: str, fragment: str) -> None:
    answer = ns.post(SUITEQL, json={"q": q}, headers={"Prefer": "transient"})
    assert answer.status_code == 400
    detail = error_of(answer)
    assert detail["o:errorCode"] == "INVALID_PARAMETER"
    assert fragment in detail["detail"]
