"""The HubSpot sandbox, driven with ``hubspot-api-client`` only: CRUD on every object with
typed and custom properties, v4 associations, batch 201/200 and 207, search paging and its
ceiling, HubSpot's error body, 429 with the rate-limit headers, a bad token."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hubspot.crm.companies import (
    BatchInputSimplePublicObjectBatchInputForCreate,
    BatchInputSimplePublicObjectBatchInputUpsert,
    BatchReadInputSimplePublicObjectId,
    PublicObjectSearchRequest,
    SimplePublicObjectBatchInputForCreate,
    SimplePublicObjectBatchInputUpsert,
    SimplePublicObjectInput,
    SimplePublicObjectInputForCreate,
)
from hubspot.crm.companies.exceptions import ApiException as CompanyError
from hubspot.crm.contacts.exceptions import ApiException as ContactError
from hubspot.crm.deals.exceptions import ApiException as DealError
from hubspot.crm.line_items.exceptions import ApiException as LineItemError
from hubspot.crm.products.exceptions import ApiException as ProductError

from accord.sandboxes.server import RunningSandbox
from hubspot import HubSpot

OBJECTS: dict[str, dict[str, str]] = {
    "companies": {"name": "Contoso", "domain": "contoso.example", "legal_entity": "US01",
                  "accord_id": "cus_contoso"},
    "contacts": {"email": "ap@contoso.example", "firstname": "Ada", "lastname": "Payable"},
    "deals": {"dealname": "Contoso platform", "amount": "1200.50", "dealstage": "contractsent",
              "contract_term_months": "12", "contract_start_date": "2026-01-01"},
    "line_items": {"name": "Seats", "quantity": "3", "price": "19.99"},
    "products": {"name": "Analytics", "hs_sku": "BW-ANALYTICS", "price": "49",
                 "accord_id": "prod_analytics", "recurringbillingfrequency": "monthly"},
}
ApiException = (CompanyError, ContactError, DealError, LineItemError, ProductError)
"""Each API package of the client raises its own ``ApiException``."""
CHANGES = {"companies": {"city": "Austin"}, "contacts": {"jobtitle": "Controller"},
           "deals": {"dealstage": "closedwon"}, "line_items": {"quantity": "4"},
           "products": {"description": "Dashboards"}}


def api(client: HubSpot, kind: str) -> Any:
    return getattr(client.crm, kind)


def error_of(raised: pytest.ExceptionInfo[Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(raised.value.body)
    assert body["status"] == "error"
    assert body["correlationId"]
    return body


@pytest.mark.parametrize("kind", list(OBJECTS))
def test_crud_on_every_object(hubspot: HubSpot, kind: str) -> None:
    basic = api(hubspot, kind).basic_api
    properties = OBJECTS[kind]
    created = basic.create(SimplePublicObjectInputForCreate(properties=properties))
    assert created.id.isdigit()
    assert created.created_at == created.updated_at
    read = basic.get_by_id(created.id, properties=[*properties, "hs_lastmodifieddate"])
    assert {name: read.properties[name] for name in properties} == properties
    assert read.properties["hs_lastmodifieddate"]
    updated = basic.update(created.id, SimplePublicObjectInput(properties=CHANGES[kind]))
    assert updated.updated_at >= created.updated_at
    again = basic.get_by_id(created.id, properties=list(CHANGES[kind]))
    assert again.properties == {**CHANGES[kind]}
    for _ in range(2):
        basic.create(SimplePublicObjectInputForCreate(properties=properties | (
            {"accord_id": f"{properties['accord_id']}-{_}"} if "accord_id" in properties
            else {"email": f"{_}@contoso.example"} if kind == "contacts" else {})))
    first = basic.get_page(limit=2)
    assert len(first.results) == 2
    rest = basic.get_page(limit=2, after=first.paging.next.after)
    assert rest.paging is None
    assert {r.id for r in first.results} | {r.id for r in rest.results} == \
        {created.id, *(r.id for r in first.results), *(r.id for r in rest.results)}
    assert len({r.id for r in first.results + rest.results}) == 3
    basic.archive(created.id)
    with pytest.raises(ApiException) as missing:
        basic.get_by_id(created.id)
    assert missing.value.status == 404
    assert error_of(missing)["category"] == "OBJECT_NOT_FOUND"
    archived = basic.get_by_id(created.id, archived=True)
    assert archived.archived is True
    assert archived.archived_at is not None


def test_computed_properties_follow_the_records(hubspot: HubSpot) -> None:
    product = hubspot.crm.products.basic_api.create(SimplePublicObjectInputForCreate(
        properties=OBJECTS["products"]))
    line = hubspot.crm.line_items.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"hs_product_id": product.id, "quantity": "3"}))
    read = hubspot.crm.line_items.basic_api.get_by_id(
        line.id, properties=["name", "price", "amount", "hs_sku"])
    assert read.properties == {"name": "Analytics", "price": "49", "amount": "147",
                               "hs_sku": "BW-ANALYTICS"}
    deal = hubspot.crm.deals.basic_api.create(SimplePublicObjectInputForCreate(
        properties={"dealname": "x", "dealstage": "closedwon"}))
    won = hubspot.crm.deals.basic_api.get_by_id(deal.id, properties=[
        "pipeline", "hs_is_closed_won", "hs_is_closed"])
    assert won.properties == {"pipeline": "default", "hs_is_closed_won": "true",
                              "hs_is_closed": "true"}
    stages = {stage.id: stage.metadata for stage in
              hubspot.crm.pipelines.pipelines_api.get_all("deals").results[0].stages}
    assert stages["closedwon"] == {"isClosed": "true", "probability": "1.0"}
    assert stages["closedlost"] == {"isClosed": "true", "probability": "0.0"}


def test_errors_in_hubspots_body(hubspot: HubSpot) -> None:
    basic = hubspot.crm.deals.basic_api
    with pytest.raises(ApiException) as typed:
        basic.create(SimplePublicObjectInputForCreate(properties={
            "dealname": "x", "amount": "lots", "no_such_property": "1"}))
    assert typed.value.status == 400
    body = error_of(typed)
    assert body["category"] == "VALIDATION_ERROR"
    assert {e["code"] for e in body["errors"]} == {"INVALID_DECIMAL", "PROPERTY_DOESNT_EXIST"}
    with pytest.raises(ApiException) as stage:
        basic.create(SimplePublicObjectInputForCreate(properties={"dealstage": "won-ish"}))
    assert error_of(stage)["errors"][0]["code"] == "INVALID_OPTION"
    products = hubspot.crm.products.basic_api
    products.create(SimplePublicObjectInputForCreate(properties=OBJECTS["products"]))
    with pytest.raises(ApiException) as duplicate:
        products.create(SimplePublicObjectInputForCreate(properties=OBJECTS["products"]))
    assert duplicate.value.status == 409
    assert error_of(duplicate)["category"] == "CONFLICT"
    found = products.get_by_id("prod_analytics", id_property="accord_id", properties=["name"])
    assert found.properties["name"] == "Analytics"


def test_associations_v4(hubspot: HubSpot) -> None:
    crm = hubspot.crm
    company = crm.companies.basic_api.create(SimplePublicObjectInputForCreate(
        properties=OBJECTS["companies"]))
    contact = crm.contacts.basic_api.create(SimplePublicObjectInputForCreate(
        properties=OBJECTS["contacts"]))
    deal = crm.deals.basic_api.create(SimplePublicObjectInputForCreate(
        properties=OBJECTS["deals"], associations=[{"to": {"id": company.id}, "types": [
            {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 5}]}]))
    line = crm.line_items.basic_api.create(SimplePublicObjectInputForCreate(
        properties=OBJECTS["line_items"]))
    v4 = crm.associations.v4.basic_api
    for to_type, to_id in (("contacts", contact.id), ("line_items", line.id)):
        made = v4.create_default("deals", deal.id, to_type, to_id)
        assert made.results[0].association_spec.association_category == "HUBSPOT_DEFINED"
    assert [r.association_spec.association_type_id for r in v4.create_default(
        "deals", deal.id, "line_items", line.id).results] == [19]
    companies = v4.get_page("deals", deal.id, "companies").results
    assert [(c.to_object_id, [t.label for t in c.association_types]) for c in companies] == \
        [(company.id, ["Primary"])]
    back = v4.get_page("companies", company.id, "deals").results
    assert [(c.to_object_id, c.association_types[0].type_id) for c in back] == [(deal.id, 6)]
    labelled = v4.create("companies", company.id, "contacts", contact.id, [
        {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 280}])
    assert labelled.to_object_id == contact.id
    read = crm.deals.basic_api.get_by_id(deal.id, associations=["contacts", "line_items"])
    assert [r.id for r in read.associations["contacts"].results] == [contact.id]
    assert [r.id for r in read.associations["line_items"].results] == [line.id]
    v4.archive("deals", deal.id, "line_items", line.id)
    assert v4.get_page("deals", deal.id, "line_items").results == []
    assert v4.get_page("line_items", line.id, "deals").results == []


def test_batch_full_success_and_multi_status(hubspot: HubSpot) -> None:
    batch = hubspot.crm.companies.batch_api
    inputs = [SimplePublicObjectBatchInputForCreate(properties={"name": f"Co {n}",
                                                                "accord_id": f"cus_{n}"})
              for n in range(3)]
    created, status, _headers = batch.create_with_http_info(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=inputs))
    assert status == 201
    assert created.status == "COMPLETE"
    ids = [r.id for r in created.results]
    read, status, _headers = batch.read_with_http_info(BatchReadInputSimplePublicObjectId(
        properties=["name"], properties_with_history=[],
        inputs=[{"id": ids[0]}, {"id": "999999"}]))
    assert status == 207
    assert [r.properties["name"] for r in read.results] == ["Co 0"]
    assert read.num_errors == 1
    assert read.errors[0].category == "OBJECT_NOT_FOUND"
    assert read.errors[0].context["ids"] == ["999999"]
    mixed, status, _headers = batch.create_with_http_info(
        BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            SimplePublicObjectBatchInputForCreate(properties={"name": "Fine"}),
            SimplePublicObjectBatchInputForCreate(properties={"numberofemployees": "many"})]))
    assert status == 207
    assert [r.properties["name"] for r in mixed.results] == ["Fine"]
    assert mixed.errors[0].category == "VALIDATION_ERROR"
    upserts = BatchInputSimplePublicObjectBatchInputUpsert(inputs=[
        SimplePublicObjectBatchInputUpsert(id="cus_1", id_property="accord_id",
                                           properties={"city": "Oslo"}),
        SimplePublicObjectBatchInputUpsert(id="cus_9", id_property="accord_id",
                                           properties={"name": "New"})])
    upserted, status, _headers = batch.upsert_with_http_info(upserts)
    assert status == 200
    assert sorted((r.id == ids[1], r.new) for r in upserted.results) == [(False, True),
                                                                          (True, False)]
    with pytest.raises(ApiException) as too_many:
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            SimplePublicObjectBatchInputForCreate(properties={"name": "x"})] * 101))
    assert too_many.value.status == 400


def test_search_pages_200_at_a_time_up_to_the_ceiling(hubspot: HubSpot) -> None:
    batch = hubspot.crm.companies.batch_api
    for start in range(0, 250, 100):
        batch.create(BatchInputSimplePublicObjectBatchInputForCreate(inputs=[
            SimplePublicObjectBatchInputForCreate(properties={
                "name": f"Co {n:03d}", "numberofemployees": str(n),
                "country": "US" if n % 2 else "NO"})
            for n in range(start, min(start + 100, 250))]))
    search = hubspot.crm.companies.search_api
    request = {"filter_groups": [{"filters": [
        {"propertyName": "numberofemployees", "operator": "GTE", "value": "10"}]}],
        "sorts": [{"propertyName": "numberofemployees", "direction": "DESCENDING"}],
        "properties": ["name", "numberofemployees"], "limit": 200}
    first = search.do_search(PublicObjectSearchRequest(**request))
    assert first.total == 240
    assert len(first.results) == 200
    assert first.results[0].properties["name"] == "Co 249"
    second = search.do_search(PublicObjectSearchRequest(**request,
                                                        after=first.paging.next.after))
    assert len(second.results) == 40
    assert second.paging is None
    assert second.results[-1].properties["numberofemployees"] == "10"
    either = search.do_search(PublicObjectSearchRequest(filter_groups=[
        {"filters": [{"propertyName": "country", "operator": "EQ", "value": "NO"},
                     {"propertyName": "numberofemployees", "operator": "LT", "value": "4"}]},
        {"filters": [{"propertyName": "name", "operator": "IN", "values": ["Co 101"]}]}],
        limit=10))
    assert sorted(r.properties["name"] for r in either.results) == ["Co 000", "Co 002",
                                                                   "Co 101"]
    with pytest.raises(ApiException) as too_big:
        search.do_search(PublicObjectSearchRequest(limit=201))
    assert too_big.value.status == 400
    with pytest.raises(ApiException) as ceiling:
        search.do_search(PublicObjectSearchRequest(limit=200, after="9900"))
    assert ceiling.value.status == 400
    assert error_of(ceiling)["category"] == "VALIDATION_ERROR"


def test_429_with_hubspots_body_and_headers(hubspot: HubSpot, control: httpx.Client) -> None:
    control.put("/hubspot/limits", json={"ten_second_limit": 3,
                                         "daily_limit": 100}).raise_for_status()
    control.post("/clock/freeze", json={}).raise_for_status()
    basic = hubspot.crm.companies.basic_api
    remaining = [basic.get_page_with_http_info(limit=1)[2]["X-HubSpot-RateLimit-Remaining"]
                 for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(ApiException) as refused:
        basic.get_page(limit=1)
    assert refused.value.status == 429
    assert refused.value.headers["X-HubSpot-RateLimit-Max"] == "3"
    assert refused.value.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert refused.value.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "97"
    body = error_of(refused)
    assert (body["errorType"], body["policyName"]) == ("RATE_LIMIT", "TEN_SECONDLY_ROLLING")
    control.post("/clock/advance", json={"seconds": 10}).raise_for_status()
    assert basic.get_page(limit=1).results == []
    assert control.get("/hubspot/limits").json()["refused"] == 1


def test_a_bad_token_is_401(sandbox: RunningSandbox, control: httpx.Client) -> None:
    stranger = HubSpot(access_token="pat-na1-not-a-real-token", host=sandbox.base_url)
    with pytest.raises(ApiException) as refused:
        stranger.crm.companies.basic_api.get_page()
    assert refused.value.status == 401
    assert error_of(refused)["category"] == "INVALID_AUTHENTICATION"
