"""Customers and their exemption certificates (``CustomerModel``, ``CertificateModel``).

A certificate names its exposure zone (a US state, by name such as ``Washington``), the
exemption reason, when it was signed and when it expires, and the customers it covers
(``customers`` when created, or linked later). A transaction of a covered customer shipped
into the zone on a day the certificate is valid is exempt.

| method and path                                                        | does             |
|------------------------------------------------------------------------|------------------|
| POST /api/v2/companies/{companyId}/customers                           | create customers |
| GET  /api/v2/companies/{companyId}/customers/{customerCode}            | one customer     |
| POST /api/v2/companies/{companyId}/certificates                        | create certificates |
| GET  /api/v2/companies/{companyId}/certificates[/{id}]                 | list / read      |
| POST /api/v2/companies/{companyId}/customers/{code}/certificates/link  | link certificates |
| GET  /api/v2/companies/{companyId}/customers/{code}/certificates       | a customer's     |
"""

from __future__ import annotations

import zlib
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.sandboxes.avatax.errors import AvaTaxError, invalid, not_found, required
from accord.sandboxes.avatax.rates import RateTable
from accord.sandboxes.avatax.store import Certificate, Store
from accord.sandboxes.avatax.transactions import body_of
from accord.sandboxes.avatax.wire import json_response, loads
from accord.sandboxes.clock import SandboxClock


def fetch_result(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {"@recordsetCount": len(values), "value": values}


async def list_of(request: Request) -> list[dict[str, Any]]:
    raw = await request.body()
    try:
        found = loads(raw) if raw else None
    except ValueError:
        raise AvaTaxError(400, "JsonFormatError", "The request body is not valid JSON.") \
            from None
    if isinstance(found, dict):
        found = [found]
    if not isinstance(found, list) or not found or not all(isinstance(f, dict)
                                                            for f in found):
        raise AvaTaxError(400, "JsonFormatError", "The request body must be a list of objects.")
    return found


def _day(raw: dict[str, Any], field: str, where: str) -> date:
    value = raw.get(field)
    if not value:
        raise required(f"{where}.{field}")
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        raise invalid(f"{where}.{field}", f"'{value}' is not a date (YYYY-MM-DD).") from None


class Exemptions:
    def __init__(self, table: RateTable, store: Store, clock: SandboxClock) -> None:
        self.table = table
        self.store = store
        self.clock = clock

    def company(self, company_id: int) -> None:
        if company_id != self.store.company.id:
            raise AvaTaxError(404, "EntityNotFoundError", f"Company {company_id} not found.",
                              refers_to="companyId")

    def customer_body(self, raw: dict[str, Any], index: int) -> dict[str, Any]:
        code = str(raw.get("customerCode") or "").strip()
        if not code:
            raise required(f"[{index}].customerCode")
        now = self.clock.now().isoformat()
        return {"id": zlib.crc32(code.encode()) % 10_000_000, "companyId": self.store.company.id,
                "customerCode": code, "name": str(raw.get("name") or code),
                "line1": raw.get("line1"), "city": raw.get("city"),
                "region": raw.get("region"), "postalCode": raw.get("postalCode"),
                "country": raw.get("country"), "emailAddress": raw.get("emailAddress"),
                "createdDate": now, "modifiedDate": now}

    def create_customers(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        bodies = [self.customer_body(raw, index) for index, raw in enumerate(raws)]
        with self.store.lock:
            for body in bodies:
                self.store.customers[body["customerCode"]] = body
        return bodies

    def _zone(self, raw: Any, where: str) -> tuple[str, str]:
        if not isinstance(raw, dict) or not (raw.get("name") or raw.get("region")):
            raise required(f"{where}.exposureZone.name")
        name = str(raw.get("name") or "").strip().upper()
        region = str(raw.get("region") or "").strip().upper()
        for state in self.table.states:
            if name in (state.name, state.region) or region == state.region:
                return state.region, state.name.title()
        raise invalid(f"{where}.exposureZone.name",
                      f"'{raw.get('name') or raw.get('region')}' is not an exposure zone "
                      "(a US state of the rate table).")

    def create_certificates(self, raws: list[dict[str, Any]]) -> list[dict[str, Any]]:
        made: list[Certificate] = []
        for index, raw in enumerate(raws):
            where = f"[{index}]"
            region, zone = self._zone(raw.get("exposureZone"), where)
            reason = raw.get("exemptionReason")
            if not isinstance(reason, dict) or not reason.get("name"):
                raise required(f"{where}.exemptionReason.name")
            signed = _day(raw, "signedDate", where)
            expires = _day(raw, "expirationDate", where)
            if expires < signed:
                raise invalid(f"{where}.expirationDate", "expirationDate is before "
                              "signedDate.", code="RangeCompareError")
            customers = {str(c.get("customerCode")) for c in raw.get("customers") or []
                         if isinstance(c, dict) and c.get("customerCode")}
            made.append(Certificate(id=0, company_id=self.store.company.id, signed=signed,
                                    expires=expires, region=region, zone_name=zone,
                                    reason=str(reason["name"]).upper(),
                                    number=str(raw.get("exemptionNumber") or ""),
                                    customers=customers))
        with self.store.lock:
            for certificate in made:
                certificate.id = self.store.new_cert_id()
                self.store.certificates[certificate.id] = certificate
                for code in certificate.customers:
                    self.store.customers.setdefault(
                        code, self.customer_body({"customerCode": code}, 0))
        created = self.clock.now().isoformat()
        return [certificate.body(created) for certificate in made]

    def certificate(self, certificate_id: int) -> Certificate:
        found = self.store.certificates.get(certificate_id)
        if found is None:
            raise not_found("Certificate", str(certificate_id))
        return found

    def link(self, customer: str, raw: dict[str, Any]) -> list[dict[str, Any]]:
        ids = raw.get("certificates")
        if not isinstance(ids, list) or not ids:
            raise required("certificates")
        with self.store.lock:
            if customer not in self.store.customers:
                raise not_found("Customer", customer)
            found = []
            for value in ids:
                try:
                    certificate = self.certificate(int(value))
                except (TypeError, ValueError):
                    raise invalid("certificates", f"'{value}' is not a certificate id.") \
                        from None
                certificate.customers.add(customer)
                found.append(certificate)
        created = self.clock.now().isoformat()
        return [certificate.body(created) for certificate in found]


def exemptions_router(exemptions: Exemptions) -> APIRouter:
    router = APIRouter(prefix="/api/v2/companies/{company_id}")
    created = exemptions.clock.now().isoformat()

    @router.post("/customers")
    async def create_customers(company_id: int, request: Request) -> Response:
        exemptions.company(company_id)
        return json_response(exemptions.create_customers(await list_of(request)), 201)

    @router.get("/customers/{code}")
    def customer(company_id: int, code: str) -> Response:
        exemptions.company(company_id)
        found = exemptions.store.customers.get(code)
        if found is None:
            raise not_found("Customer", code)
        return json_response(found)

    @router.post("/certificates")
    async def create_certificates(company_id: int, request: Request) -> Response:
        exemptions.company(company_id)
        return json_response(exemptions.create_certificates(await list_of(request)), 201)

    @router.get("/certificates")
    def certificates(company_id: int) -> Response:
        exemptions.company(company_id)
        return json_response(fetch_result([c.body(created) for c in
                                           exemptions.store.certificates.values()]))

    @router.get("/certificates/{certificate_id}")
    def certificate(company_id: int, certificate_id: int) -> Response:
        exemptions.company(company_id)
        return json_response(exemptions.certificate(certificate_id).body(created))

    @router.post("/customers/{code}/certificates/link")
    async def link(company_id: int, code: str, request: Request) -> Response:
        exemptions.company(company_id)
        return json_response(fetch_result(exemptions.link(code, await body_of(request))))

    @router.get("/customers/{code}/certificates")
    def of_customer(company_id: int, code: str) -> Response:
        exemptions.company(company_id)
        if code not in exemptions.store.customers:
            raise not_found("Customer", code)
        return json_response(fetch_result([c.body(created) for c in
                                           exemptions.store.certificates_of(code)]))

    return router


__all__ = ["Exemptions", "exemptions_router", "fetch_result"]
