"""The reference side of the API: ping, the tax codes of the rate table, the account's
companies and address resolution.

| method and path                    | does                                               |
|------------------------------------|----------------------------------------------------|
| GET  /api/v2/utilities/ping        | version; whether the credentials were accepted     |
| GET  /api/v2/definitions/taxcodes  | tax codes (``$filter=taxCode eq 'X'``, ``$top``)   |
| GET  /api/v2/companies             | companies (``$filter=companyCode eq 'X'``)         |
| GET  /api/v2/companies/{id}        | one company                                        |
| GET/POST /api/v2/addresses/resolve | ``AddressResolutionModel``                         |
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from accord.sandboxes.avatax.addresses import resolution_body, resolve
from accord.sandboxes.avatax.errors import AvaTaxError, invalid, not_found
from accord.sandboxes.avatax.exemptions import fetch_result
from accord.sandboxes.avatax.rates import RateTable
from accord.sandboxes.avatax.store import Store
from accord.sandboxes.avatax.transactions import body_of
from accord.sandboxes.avatax.wire import json_response

EQUALS = re.compile(r"^\s*(\w+)\s+eq\s+'([^']*)'\s*$", re.IGNORECASE)


def _filtered(values: list[dict[str, Any]], request: Request) -> list[dict[str, Any]]:
    params = request.query_params
    text = params.get("$filter")
    if text:
        match = EQUALS.match(text)
        if match is None:
            raise invalid("$filter", f"'{text}' is not a filter this sandbox reads "
                          "(<field> eq '<value>').", code="FilterSyntax")
        field, wanted = match.group(1).lower(), match.group(2).lower()
        values = [value for value in values
                  if any(key.lower() == field and str(item).lower() == wanted
                         for key, item in value.items())]
    try:
        skip = int(params.get("$skip") or 0)
        top = int(params.get("$top") or 0)
    except ValueError:
        raise invalid("$top", "$top and $skip must be integers.") from None
    values = values[skip:]
    return values[:top] if top else values


def definitions_router(table: RateTable, store: Store, version: str) -> APIRouter:
    router = APIRouter(prefix="/api/v2")
    codes = [{"id": index + 1, "companyId": 0, "taxCode": code.code,
              "taxCodeTypeId": code.type, "description": code.description,
              "parentTaxCode": None, "isPhysical": code.type == "P", "goodsServiceCode": 0,
              "entityUseCode": "", "isActive": True, "isSSTCertified": True}
             for index, code in enumerate(table.tax_codes)]

    @router.get("/utilities/ping")
    def ping(request: Request) -> Response:
        account = getattr(request.state, "account_id", None)
        body: dict[str, Any] = {"version": version, "authenticated": account is not None}
        if account is not None:
            body.update(authenticationType="AccountIdLicenseKey",
                        authenticatedAccountId=account, authenticatedUserId=0,
                        authenticatedUserName=str(account), crmid="")
        else:
            body["authenticationType"] = "None"
        return json_response(body)

    @router.get("/definitions/taxcodes")
    def tax_codes(request: Request) -> Response:
        return json_response(fetch_result(_filtered(codes, request)))

    @router.get("/companies")
    def companies(request: Request) -> Response:
        return json_response(fetch_result(_filtered([store.company.body()], request)))

    @router.get("/companies/{company_id}")
    def company(company_id: int) -> Response:
        if company_id != store.company.id:
            raise not_found("Company", str(company_id))
        return json_response(store.company.body())

    @router.get("/addresses/resolve")
    def resolve_get(request: Request) -> Response:
        return json_response(resolution_body(table, resolve(table, dict(
            request.query_params))))

    @router.post("/addresses/resolve")
    async def resolve_post(request: Request) -> Response:
        raw = await body_of(request)
        if not raw:
            raise AvaTaxError(400, "InvalidAddress", "No address given.",
                              refers_to="Address.PostalCode")
        return json_response(resolution_body(table, resolve(table, raw)))

    return router


__all__ = ["definitions_router"]
