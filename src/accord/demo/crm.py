"""The demo's hands on Salesforce: what a sales team and its admin do, through the official
``simple-salesforce`` client (the demo plays the customer's systems, so it does not use
accord's own connector).

:class:`Crm` is the little the seeding needs; :class:`SimpleSalesforceCrm` provides it over
``simple_salesforce.Salesforce``, and accord's own client provides it too (the flow tests
seed through it).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, Protocol

from simple_salesforce.api import Salesforce

from accord.connectors.salesforce.client import build_session
from accord.connectors.salesforce.wire import dumps

COLLECTION_SIZE = 200


class Outcome(Protocol):
    @property
    def id(self) -> str | None: ...

    @property
    def success(self) -> bool: ...

    @property
    def error(self) -> Any: ...


class Crm(Protocol):
    def query(self, soql: str) -> Iterator[dict[str, Any]]: ...

    def create(self, type_name: str, fields: Mapping[str, Any]) -> str: ...

    def get(self, type_name: str, record_id: str) -> dict[str, Any]: ...

    def create_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> Sequence[Outcome]: ...

    def update_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> Sequence[Outcome]: ...


class Result:
    """One record's outcome in an sObject Collections call."""

    def __init__(self, item: Mapping[str, Any]) -> None:
        self.id: str | None = item.get("id")
        self.success = bool(item.get("success"))
        self.error: Any = item.get("errors") or None


class SimpleSalesforceCrm:
    """:class:`Crm` over ``simple_salesforce``, numbers sent exactly (never via a float)."""

    def __init__(self, instance_url: str, session_id: str, api_version: str,
                 ca_cert: Path | None = None) -> None:
        # trusts ca_cert even where REQUESTS_CA_BUNDLE names another bundle
        self.session = build_session(ca_cert)
        self.sf = Salesforce(instance_url=instance_url, session_id=session_id,
                             version=api_version, session=self.session, parse_float=Decimal)

    def query(self, soql: str) -> Iterator[dict[str, Any]]:
        yield from self.sf.query_all_iter(soql)

    def create(self, type_name: str, fields: Mapping[str, Any]) -> str:
        answer: Any = self.sf.restful(f"sobjects/{type_name}/", method="POST",
                                      data=dumps(dict(fields)))
        return str(answer["id"])

    def get(self, type_name: str, record_id: str) -> dict[str, Any]:
        return dict(getattr(self.sf, type_name).get(record_id))

    def update(self, type_name: str, record_id: str, fields: Mapping[str, Any]) -> None:
        getattr(self.sf, type_name).update(record_id, json.loads(dumps(dict(fields))))

    def _collection(self, method: str, type_name: str, records: Sequence[Mapping[str, Any]],
                    all_or_none: bool) -> list[Result]:
        results: list[Result] = []
        for start in range(0, len(records), COLLECTION_SIZE):
            chunk = [{"attributes": {"type": type_name}, **record}
                     for record in records[start:start + COLLECTION_SIZE]]
            answer = self.sf.restful("composite/sobjects", method=method,
                                     data=dumps({"allOrNone": all_or_none, "records": chunk}))
            results += [Result(item) for item in answer or []]
        return results

    def create_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> list[Result]:
        return self._collection("POST", type_name, records, all_or_none)

    def update_many(self, type_name: str, records: Sequence[Mapping[str, Any]], *,
                    all_or_none: bool = False) -> list[Result]:
        return self._collection("PATCH", type_name, records, all_or_none)

    def close(self) -> None:
        self.session.close()


__all__ = ["Crm", "Outcome", "Result", "SimpleSalesforceCrm"]
