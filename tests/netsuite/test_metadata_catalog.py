"""The metadata catalog, read with the ``netsuite`` package's own methods (``jsonschema``,
``openapi``) and signed requests, and held against NetSuite's field table."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from tests.netsuite.description import DEPARTURES, records

from accord.sandboxes.netsuite.records.catalog import SPECS
from accord.sandboxes.server import RunningSandbox
from netsuite import Config, NetSuite, TokenAuth

CATALOG = "/services/rest/record/v1/metadata-catalog"


def _rest_api(sandbox: RunningSandbox, creds: dict[str, str]) -> Any:
    config = Config(account=creds["account_id"], auth=TokenAuth(
        consumer_key=creds["consumer_key"], consumer_secret=creds["consumer_secret"],
        token_id=creds["token_id"], token_secret=creds["token_secret"]))
    api = NetSuite(config).rest_api
    api._make_url = lambda subpath: f"{sandbox.base_url}/services/rest{subpath}"
    return api


def _kind(schema: dict[str, Any]) -> str:
    """The field table's word for a property of the catalog's JSON Schema."""
    ref = schema.get("$ref", "")
    if ref.endswith("Collection"):
        return "sublist"
    if ref:
        return "ref"
    if schema.get("type") == "object" and set(schema.get("properties", {})) == {"id",
                                                                                "refName"}:
        return "select"
    if schema.get("type") == "string" and schema.get("format") in ("date", "date-time"):
        return str(schema["format"])
    return str(schema["type"])


def test_the_catalog_lists_every_record_type_in_three_media_types(
        ns: httpx.Client) -> None:
    catalog = ns.get(CATALOG.removeprefix("/services/rest")).json()
    assert [item["name"] for item in catalog["items"]] == [spec.name for spec in SPECS]
    customer = next(item for item in catalog["items"] if item["name"] == "customer")
    assert {link["mediaType"] for link in customer["links"]} == {
        "application/json", "application/swagger+json", "application/schema+json"}
    assert all(link["href"].endswith(f"{CATALOG}/customer") for link in customer["links"])


def test_json_schema_of_a_record_and_its_parts(sandbox: RunningSandbox,
                                               creds: dict[str, str]) -> None:
    api = _rest_api(sandbox, creds)

    async def read() -> list[Any]:
        return [await api.jsonschema(name) for name in (
            "customer", "customer-addressBookCollection", "customer-addressBookElement",
            "nsLink", "invoice")]

    customer, collection, element, link, invoice = asyncio.run(read())
    properties = customer["properties"]
    assert properties["companyName"] == {"title": "Company Name", "type": "string",
                                         "nullable": False}
    assert properties["subsidiary"]["$ref"] == f"{CATALOG}/subsidiary"
    assert properties["creditLimit"]["type"] == "number"
    assert properties["dateCreated"]["format"] == "date-time"
    assert properties["addressBook"]["$ref"] == f"{CATALOG}/customer-addressBookCollection"
    assert "companyName" in customer["x-ns-filterable"]
    assert collection["properties"]["items"]["items"]["$ref"] == \
        f"{CATALOG}/customer-addressBookElement"
    assert element["properties"]["defaultBilling"]["type"] == "boolean"
    assert set(link["properties"]) == {"rel", "href"}
    assert invoice["properties"]["amountRemaining"]["readOnly"] is True
    assert invoice["properties"]["item"]["$ref"].endswith("invoice-itemCollection")


def test_openapi_for_selected_record_types(sandbox: RunningSandbox,
                                           creds: dict[str, str]) -> None:
    api = _rest_api(sandbox, creds)
    document = asyncio.run(api.openapi(["customer", "invoice"]))
    assert document["openapi"].startswith("3.0")
    assert {"/customer", "/customer/{id}", "/invoice", "/invoice/{id}"} == set(
        document["paths"])
    schemas = document["components"]["schemas"]
    assert {"customer", "invoice", "invoice-itemElement", "nsLink", "nsResource"} <= set(
        schemas)
    assert schemas["invoice"]["properties"]["entity"]["$ref"] == \
        "#/components/schemas/customer"
    everything = asyncio.run(api.openapi())
    assert {f"/{spec.name}" for spec in SPECS} <= set(everything["paths"])


def test_an_unknown_type_has_no_schema(ns: httpx.Client) -> None:
    answer = ns.get(f"{CATALOG.removeprefix('/services/rest')}/widget",
                    headers={"Accept": "application/schema+json"})
    assert answer.status_code == 404
    assert answer.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"


def test_the_catalog_agrees_with_netsuites_field_table(sandbox: RunningSandbox,
                                                      creds: dict[str, str]) -> None:
    """Every field the catalog describes is one NetSuite documents for the type, with
    NetSuite's type (or a listed departure, described as the text the sandbox sends)."""
    api = _rest_api(sandbox, creds)
    names = [spec.name for spec in SPECS]
    sublists = [f"{spec.name}-{sub.name}Element" for spec in SPECS for sub in spec.sublists]

    async def read() -> dict[str, Any]:
        return {name: await api.jsonschema(name) for name in names + sublists}

    schemas = asyncio.run(read())
    wrong: list[str] = []
    for name in names:
        table = records()[name]
        for field, schema in schemas[name]["properties"].items():
            if field in ("links", "id", "externalId"):
                continue
            expected = ("sublist" if field in table["sublists"]
                        else table["fields"].get(field, "undocumented"))
            if (name, field) in DEPARTURES:
                expected = "string"
            if _kind(schema) != expected:
                wrong.append(f"{name}.{field}: catalog {_kind(schema)}, NetSuite {expected}")
        for sub in table["sublists"]:
            if f"{name}-{sub}Element" not in schemas and sub in schemas[name]["properties"]:
                wrong.append(f"{name}.{sub}: no element schema")
    for element in sublists:
        name, _, rest = element.partition("-")
        sub = rest.removesuffix("Element")
        table = records()[name]["sublists"][sub]
        for field, schema in schemas[element]["properties"].items():
            if field == "links":
                continue
            expected = table.get(field, "undocumented")
            if (f"{name}.{sub}", field) in DEPARTURES:
                expected = "string"
            if _kind(schema) != expected:
                wrong.append(f"{name}.{sub}.{field}: catalog {_kind(schema)}, "
                             f"NetSuite {expected}")
    assert not wrong, "\n".join(wrong)
