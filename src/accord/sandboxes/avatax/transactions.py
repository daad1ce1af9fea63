"""Transactions: create (a ``SalesOrder`` is an estimate and is not kept; a
``SalesInvoice`` is kept, committed or not), read, list, commit, void, adjust and refund.

| method and path                                                  | does                      |
|------------------------------------------------------------------|---------------------------|
| POST /api/v2/transactions/create                                 | calculate; keep invoices  |
| GET  /api/v2/transactions/{id}                                   | one version, by id        |
| GET  /api/v2/companies/{companyCode}/transactions                | ``$top``/``$skip`` pages  |
| GET  /api/v2/companies/{companyCode}/transactions/{code}         | the current version       |
| POST /api/v2/companies/{companyCode}/transactions/{code}/commit  | ``{"commit": true}``      |
| POST /api/v2/companies/{companyCode}/transactions/{code}/void    | ``{"code": "DocVoided"}`` |
| POST /api/v2/companies/{companyCode}/transactions/{code}/adjust  | a new version             |
| POST /api/v2/companies/{companyCode}/transactions/{code}/refund  | a ``ReturnInvoice``       |
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.canonical.currencies import exponent
from accord.sandboxes.avatax.calculate import rounded, summary
from accord.sandboxes.avatax.documents import compute, parse, shown
from accord.sandboxes.avatax.errors import AvaTaxError, invalid, not_found, required
from accord.sandboxes.avatax.rates import RateTable
from accord.sandboxes.avatax.store import Store, Transaction
from accord.sandboxes.avatax.wire import decimal, json_response, loads
from accord.sandboxes.clock import SandboxClock

VOID_CODES = ("DocVoided", "DocDeleted", "PostFailed", "AdjustmentCancelled")
ADJUSTMENT_REASONS = ("NotAdjusted", "SourcingIssue", "ReconciledWithGeneralLedger",
                      "ExemptCertApplied", "PriceAdjusted", "ProductReturned",
                      "ProductExchanged", "BadDebt", "Other", "Offline")
REFUND_TYPES = ("Full", "Partial", "TaxOnly", "Percentage")
PAGE_LIMIT = 1000


async def body_of(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        found = loads(raw) if raw else {}
    except ValueError:
        raise AvaTaxError(400, "JsonFormatError", "The request body is not valid JSON.") \
            from None
    if not isinstance(found, dict):
        raise AvaTaxError(400, "JsonFormatError", "The request body is not a JSON object.")
    return found


def _include(request: Request) -> str | None:
    return request.query_params.get("$include") or request.query_params.get("include")


class Transactions:
    def __init__(self, table: RateTable, store: Store, clock: SandboxClock) -> None:
        self.table = table
        self.store = store
        self.clock = clock

    def _company(self, code: str) -> str:
        if code.upper() != self.store.company.code.upper():
            raise AvaTaxError(404, "EntityNotFoundError", f"Company '{code}' not found.",
                              refers_to="companyCode")
        return self.store.company.code

    def create(self, raw: dict[str, Any]) -> dict[str, Any]:
        request = parse(raw, self.store.company.code)
        company = self._company(request.company)
        if request.kind.endswith("Order"):  # an estimate: calculated, never kept
            return compute(self.table, self.store, request, transaction_id=0,
                           status="Temporary", version=1, now=self.clock.now())
        with self.store.lock:
            existing = self.store.find(company, request.code, request.kind)
            if existing is not None and existing.body["status"] == "Committed":
                raise AvaTaxError(400, "DocumentCodeConflict",
                                  f"A committed {request.kind} with code '{request.code}' "
                                  "exists; adjust it instead.", refers_to="code")
            body = compute(self.table, self.store, request,
                           transaction_id=self.store.new_id(),
                           status="Committed" if request.commit else "Saved",
                           version=existing.body["version"] + 1 if existing else 1,
                           now=self.clock.now())
            self.store.put(Transaction(body))
        return copy.deepcopy(body)

    def current(self, company: str, code: str, kind: str | None) -> Transaction:
        found = self.store.find(self._company(company), code, kind)
        if found is None:
            raise not_found("Transaction", code)
        return found

    def commit(self, company: str, code: str, kind: str | None, raw: dict[str, Any]
               ) -> dict[str, Any]:
        if "commit" not in raw:
            raise required("commit")
        with self.store.lock:
            found = self.current(company, code, kind)
            if found.body["status"] not in ("Saved", "Committed", "Posted"):
                raise AvaTaxError(400, "InvalidDocumentStatusForCommit",
                                  f"A {found.body['status']} document cannot be committed.",
                                  refers_to="code")
            found.body["status"] = "Committed" if raw["commit"] else "Saved"
            found.body["modifiedDate"] = self.clock.now().isoformat()
            return copy.deepcopy(found.body)

    def void(self, company: str, code: str, kind: str | None, raw: dict[str, Any]
             ) -> dict[str, Any]:
        reason = raw.get("code")
        if not reason:
            raise required("code")
        if reason not in VOID_CODES:
            raise invalid("code", f"'{reason}' is not a void code ({', '.join(VOID_CODES)}).")
        with self.store.lock:
            found = self.current(company, code, kind)
            if found.body["status"] in ("Cancelled", "Adjusted"):
                raise AvaTaxError(400, "InvalidDocumentStatusForVoid",
                                  f"The document is already {found.body['status']}.",
                                  refers_to="code")
            found.body["status"] = "Cancelled"
            found.body["modifiedDate"] = self.clock.now().isoformat()
            return copy.deepcopy(found.body)

    def adjust(self, company: str, code: str, kind: str | None, raw: dict[str, Any]
               ) -> dict[str, Any]:
        reason = raw.get("adjustmentReason")
        if not reason:
            raise required("adjustmentReason")
        if reason not in ADJUSTMENT_REASONS:
            raise invalid("adjustmentReason", f"'{reason}' is not an adjustment reason.")
        description = str(raw.get("adjustmentDescription") or "")
        if reason == "Other" and not description:
            raise required("adjustmentDescription")
        replacement = raw.get("newTransaction")
        if not isinstance(replacement, dict):
            raise required("newTransaction")
        with self.store.lock:
            found = self.current(company, code, kind)
            if found.body["status"] == "Cancelled":
                raise AvaTaxError(400, "CannotAdjustDocumentType",
                                  "A voided document cannot be adjusted.", refers_to="code")
            request = parse({**replacement, "code": code, "companyCode": company,
                             "type": found.body["type"]}, self.store.company.code)
            body = compute(self.table, self.store, request, transaction_id=self.store.new_id(),
                           status="Committed" if request.commit else found.body["status"],
                           version=found.body["version"] + 1, now=self.clock.now())
            body.update(adjustmentReason=reason, adjustmentDescription=description)
            found.body["status"] = "Adjusted"
            self.store.put(Transaction(body))
            return copy.deepcopy(body)

    def refund(self, company: str, code: str, kind: str | None, raw: dict[str, Any]
               ) -> dict[str, Any]:
        refund_type = raw.get("refundType") or "Full"
        if refund_type not in REFUND_TYPES:
            raise invalid("refundType", f"'{refund_type}' is not a refund type "
                          f"({', '.join(REFUND_TYPES)}).")
        day = raw.get("refundDate")
        if not day:
            raise required("refundDate")
        try:
            refund_day = date.fromisoformat(str(day)[:10])
        except ValueError:
            raise invalid("refundDate", f"'{day}' is not a date (YYYY-MM-DD).") from None
        with self.store.lock:
            original = self.current(company, code, kind or "SalesInvoice")
            if original.body["type"] != "SalesInvoice" \
                    or original.body["status"] in ("Cancelled", "Adjusted"):
                raise AvaTaxError(400, "InvalidDocumentStatusForRefund",
                                  f"A {original.body['status']} {original.body['type']} "
                                  "cannot be refunded.", refers_to="code")
            lines = self._refund_lines(original.body, refund_type, raw)
            refund_code = str(raw.get("refundTransactionCode") or f"{code}-refund")
            if self.store.find(original.body["companyCode"], refund_code, "ReturnInvoice"):
                raise AvaTaxError(400, "DocumentCodeConflict",
                                  f"A ReturnInvoice with code '{refund_code}' exists.",
                                  refers_to="refundTransactionCode")
            body = self._return_invoice(original.body, lines, refund_code, refund_day,
                                        str(raw.get("referenceCode") or code))
            self.store.put(Transaction(body))
            return copy.deepcopy(body)

    def _refund_lines(self, original: dict[str, Any], refund_type: str, raw: dict[str, Any]
                      ) -> list[dict[str, Any]]:
        places = exponent(original["currencyCode"])
        chosen = original["lines"]
        if refund_type == "Partial":
            numbers = raw.get("refundLines")
            if not isinstance(numbers, list) or not numbers:
                raise required("refundLines")
            known = {line["lineNumber"] for line in chosen}
            unknown = [str(n) for n in numbers if str(n) not in known]
            if unknown:
                raise invalid("refundLines", f"line(s) {', '.join(unknown)} are not lines of "
                              "the original transaction.")
            chosen = [line for line in chosen if line["lineNumber"] in {str(n)
                                                                         for n in numbers}]
        share = Decimal(1)
        if refund_type == "Percentage":
            percent = decimal(raw.get("refundPercentage"))
            if percent is None:
                raise required("refundPercentage")
            if not Decimal(0) < percent <= Decimal(100):
                raise invalid("refundPercentage", "refundPercentage must be above 0 and at "
                              "most 100.", code="RangeError")
            share = percent / 100

        def part(value: Decimal) -> Decimal:
            return -rounded(value * share, places)

        found = []
        for line in copy.deepcopy(chosen):
            amount_share = Decimal(0) if refund_type == "TaxOnly" else share
            line["lineAmount"] = -rounded(line["lineAmount"] * amount_share, places)
            for name in ("taxableAmount", "exemptAmount"):
                line[name] = part(line[name])
            for detail in line["details"]:
                for name in ("taxableAmount", "exemptAmount", "nonTaxableAmount", "tax",
                             "taxCalculated", "reportingTaxableUnits", "reportingTax",
                             "reportingTaxCalculated"):
                    detail[name] = part(detail[name])
            # the line's tax stays the sum of its details
            line["tax"] = sum((detail["tax"] for detail in line["details"]),
                              -rounded(Decimal(0), places))
            line["taxCalculated"] = line["tax"]
            found.append(line)
        return found

    def _return_invoice(self, original: dict[str, Any], lines: list[dict[str, Any]],
                        code: str, day: date, reference: str) -> dict[str, Any]:
        places = exponent(original["currencyCode"])
        zero = rounded(Decimal(0), places)
        transaction_id = self.store.new_id()
        for index, line in enumerate(lines):
            line.update(id=transaction_id * 100 + index + 1, transactionId=transaction_id)
        body = {**copy.deepcopy({k: v for k, v in original.items()
                                 if k not in ("lines", "summary")}),
                "id": transaction_id, "code": code, "type": "ReturnInvoice",
                "status": "Committed", "date": day, "taxDate": original["date"],
                "referenceCode": reference, "version": 1, "lines": lines,
                "adjustmentReason": "NotAdjusted",
                "modifiedDate": self.clock.now().isoformat()}
        for name, source in (("totalAmount", "lineAmount"), ("totalExempt", "exemptAmount"),
                             ("totalTaxable", "taxableAmount"), ("totalTax", "tax"),
                             ("totalTaxCalculated", "taxCalculated")):
            body[name] = sum((line[source] for line in lines), zero)
        body["summary"] = summary(lines, places)
        return body


def transactions_router(transactions: Transactions) -> APIRouter:
    router = APIRouter(prefix="/api/v2")

    def kind_of(request: Request) -> str | None:
        return request.query_params.get("documentType")

    @router.post("/transactions/create")
    async def create(request: Request) -> Response:
        found = transactions.create(await body_of(request))
        return json_response(shown(found, _include(request)), 201)

    @router.get("/transactions/{transaction_id}")
    def by_id(transaction_id: int, request: Request) -> Response:
        found = transactions.store.get(transaction_id)
        if found is None:
            raise not_found("Transaction", str(transaction_id))
        return json_response(shown(copy.deepcopy(found.body), _include(request)))

    @router.get("/companies/{company}/transactions")
    def listing(company: str, request: Request) -> Response:
        found = transactions.store.listing(transactions._company(company))
        try:
            top = int(request.query_params.get("$top") or PAGE_LIMIT)
            skip = int(request.query_params.get("$skip") or 0)
        except ValueError:
            raise invalid("$top", "$top and $skip must be integers.") from None
        if not 0 < top <= PAGE_LIMIT or skip < 0:
            raise invalid("$top", f"$top must be 1 to {PAGE_LIMIT}, $skip 0 or more.",
                          code="RangeError")
        page: dict[str, Any] = {"@recordsetCount": len(found), "value": [
            shown(t, _include(request)) for t in found[skip:skip + top]]}
        if skip + top < len(found):
            page["@nextLink"] = (f"{request.url.path}?$top={top}&$skip={skip + top}")
        return json_response(page)

    @router.get("/companies/{company}/transactions/{code}")
    def by_code(company: str, code: str, request: Request) -> Response:
        found = transactions.current(company, code, kind_of(request))
        return json_response(shown(copy.deepcopy(found.body), _include(request)))

    @router.post("/companies/{company}/transactions/{code}/commit")
    async def commit(company: str, code: str, request: Request) -> Response:
        found = transactions.commit(company, code, kind_of(request), await body_of(request))
        return json_response(shown(found, _include(request)))

    @router.post("/companies/{company}/transactions/{code}/void")
    async def void(company: str, code: str, request: Request) -> Response:
        found = transactions.void(company, code, kind_of(request), await body_of(request))
        return json_response(shown(found, _include(request)))

    @router.post("/companies/{company}/transactions/{code}/adjust")
    async def adjust(company: str, code: str, request: Request) -> Response:
        found = transactions.adjust(company, code, kind_of(request), await body_of(request))
        return json_response(shown(found, _include(request)))

    @router.post("/companies/{company}/transactions/{code}/refund")
    async def refund(company: str, code: str, request: Request) -> Response:
        found = transactions.refund(company, code, kind_of(request), await body_of(request))
        return json_response(shown(found, _include(request)))

    return router


__all__ = ["Transactions", "body_of", "transactions_router"]
