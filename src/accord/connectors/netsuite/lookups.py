"""A NetSuite invoice as the operator's invoice-status view shows it: by internal id, else
external id (accord's canonical id), else document number (``tranId``, through SuiteQL)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from typing import Any

from accord.canonical.lookups import ErpInvoiceView
from accord.connectors.netsuite.client import NetSuiteClient
from accord.errors import AccordError

DOCUMENT_NUMBER = r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$"
"""The document numbers looked up by SuiteQL (no quote can reach the query)."""


def _ref_name(value: Any) -> str | None:
    if isinstance(value, Mapping):
        name = value.get("refName") or value.get("id")
        return str(name) if name is not None else None
    return str(value) if value is not None else None


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


def _by_document_number(client: NetSuiteClient, number: str) -> dict[str, Any] | None:
    if not re.fullmatch(DOCUMENT_NUMBER, number):
        return None
    query = f"SELECT id FROM transaction WHERE type = 'CustInvc' AND tranid = '{number}'"  # noqa: S608
    rows = client.suiteql_page(query, limit=1).rows
    return client.get("invoice", rows[0]["id"], expand=False) if rows else None


def _unless_missing(fetch: Callable[[], dict[str, Any] | None]) -> dict[str, Any] | None:
    try:
        return fetch()
    except AccordError as exc:
        if exc.status == 404:
            return None
        raise


def find_invoice(client: NetSuiteClient, *, internal_id: str | None,
                 external_id: str | None, number: str) -> ErpInvoiceView | None:
    found = None
    if internal_id:
        found = _unless_missing(partial(client.get, "invoice", internal_id, expand=False))
    if found is None and external_id:
        found = _unless_missing(partial(client.get_by_external_id, "invoice", external_id,
                                        expand=False))
    if found is None:
        found = _unless_missing(partial(_by_document_number, client, number))
    if found is None:
        return None
    return ErpInvoiceView(internal_id=str(found.get("id") or internal_id or ""),
                          document_number=found.get("tranId"),
                          status=_ref_name(found.get("status")),
                          total=_decimal(found.get("total")),
                          amount_remaining=_decimal(found.get("amountRemaining")))


__all__ = ["DOCUMENT_NUMBER", "find_invoice"]
