"""The operations API over real HTTP: auth by role, health, timeline search, customer 360."""

from __future__ import annotations

from api_support import Api
from tests.steps import write_keys, write_step

from accord.api.tokens import Access
from accord.canonical import Customer, EntityType
from accord.canonical.party import (
    Address,
    Contact,
    ContactRole,
    TaxIdKind,
    TaxProfile,
    TaxRegistration,
)
from accord.engine.timeline import StepOutcome
from accord.flows.keys import Key
from accord.registry import GoldenRecords, Xrefs, load_policy
from accord.store.models import ApiToken, ExceptionRecord


def test_health_readiness_metrics_and_openapi(api: Api) -> None:
    with api.client(None) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["status"] == "ready"
        assert "python_info" in client.get("/metrics").text
        assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_tokens_are_stored_hashed_and_required(api: Api) -> None:
    with api.db.session() as session:
        stored = {row.token_hash for row in session.query(ApiToken)}
    assert not any(token in stored for token in api.tokens.values())
    with api.client(None) as client:
        missing = client.get("/v1/timeline", params={"q": "x"})
        assert missing.status_code == 401
        assert "bearer token" in missing.json()["detail"]
        wrong = client.get("/v1/timeline", params={"q": "x"},
                           headers={"Authorization": "Bearer acc_nope"})
        assert wrong.status_code == 401


def test_timeline_found_by_any_business_key(api: Api) -> None:
    for step, system in (("salesforce.validate_deal", None), ("stripe.create_customer", "stripe"),
                         ("netsuite.post_invoice", "netsuite")):
        write_step(api.db, "corr-1", step, system=system, flow="closed_won")
    write_keys(api.db, "corr-1", {Key.DEAL_ID: "006X", Key.INVOICE_NUMBER: "INV-7"})
    write_step(api.db, "corr-2", "accord.other", flow="other")
    with api.client() as client:
        for query in ({"q": "INV-7"}, {"q": "006X", "kind": "deal_id"},
                      {"q": "006X", "kind": "opportunity_id"},  # its name before roles
                      {"q": "corr-1"}):
            answer = client.get("/v1/timeline", params=query).json()
            assert [t["correlation_id"] for t in answer["traces"]] == ["corr-1"], query
            trace = answer["traces"][0]
            assert [s["step"] for s in trace["steps"]] == [
                "salesforce.validate_deal", "stripe.create_customer", "netsuite.post_invoice"]
            assert {s["outcome"] for s in trace["steps"]} == {StepOutcome.SUCCEEDED}
            assert trace["keys"] == {"invoice_number": ["INV-7"], "deal_id": ["006X"]}
        assert client.get("/v1/timeline", params={"q": "006X", "kind": "invoice_number"}
                          ).json()["traces"] == []
        assert client.get("/v1/timeline", params={"q": ""}).status_code == 422


def test_customer_360_shows_fields_owners_ids_and_open_exceptions(api: Api) -> None:
    customer = Customer(legal_name="Acme Corp", legal_entity="US01", currency="USD")
    with api.db.session() as session:
        GoldenRecords(session, load_policy()).merge(
            customer.id, EntityType.CUSTOMER, "salesforce", customer.model_dump(mode="json"))
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "salesforce", "001A")
        Xrefs(session).link(customer.id, EntityType.CUSTOMER, "stripe", "cus_1")
        session.add(ExceptionRecord(fingerprint="f1", kind="data_quality", owner="master_data",
                                    record_ref=customer.id, field="tax_profile",
                                    reason="tax id missing"))
    with api.client() as client:
        view = client.get(f"/v1/customers/{customer.id}").json()
        assert view["ids"] == {"salesforce": "001A", "stripe": "cus_1"}
        assert view["fields"]["legal_name"]["value"] == "Acme Corp"
        assert view["fields"]["legal_name"]["owner"] == "salesforce"
        assert view["fields"]["legal_name"]["source"] == "salesforce"
        assert [e["field"] for e in view["open_exceptions"]] == ["tax_profile"]
        missing = client.get("/v1/customers/cus_01ARZ3NDEKTSV4RRFFQ69G5FAV")
        assert missing.status_code == 404
        assert "canonical_id" in missing.json()["detail"]


def test_exceptions_filter_and_kpis(api: Api) -> None:
    with api.db.session() as session:
        session.add(ExceptionRecord(fingerprint="a", kind="data_quality", owner="master_data",
                                    system="salesforce", reason="sku unknown"))
        session.add(ExceptionRecord(fingerprint="b", kind="retries_exhausted",
                                    owner="integration_engineering", system="netsuite",
                                    reason="503 for 10 minutes"))
        session.add(ExceptionRecord(fingerprint="c", kind="data_quality", owner="master_data",
                                    system="salesforce", reason="done", status="resolved"))
    write_step(api.db, "k", "erp.post", outcome=StepOutcome.RETRYING)
    write_step(api.db, "k", "erp.post", attempt=2)
    write_step(api.db, "k", "erp.post_again", outcome=StepOutcome.FAILED)
    write_step(api.db, "k", "erp.post_more")
    with api.client() as client:
        open_ = client.get("/v1/exceptions").json()
        assert sorted(e["reason"] for e in open_) == ["503 for 10 minutes", "sku unknown"]
        mine = client.get("/v1/exceptions", params={"owner": "master_data"}).json()
        assert [e["reason"] for e in mine] == ["sku unknown"]
        done = client.get("/v1/exceptions", params={"status": "resolved"}).json()
        assert [e["reason"] for e in done] == ["done"]
        assert client.get("/v1/exceptions", params={"status": "bogus"}).status_code == 422
        kpis = client.get("/v1/kpis").json()
        assert kpis["open_exceptions"] == 2
        assert kpis["blocked_by_validation"] == 1
        assert kpis["retries_last_24h"] == 1  # the retried attempt
        assert kpis["step_errors_last_24h"] == 1  # the failed step, of four
        assert kpis["error_rate_last_24h"] == 0.25


def test_operators_resolve_and_ignore_with_a_note_and_it_is_audited(api: Api) -> None:
    from accord.store.models import AuditLog

    with api.db.session() as session:
        first = ExceptionRecord(fingerprint="x1", kind="data_quality", owner="master_data",
                                reason="sku unknown")
        second = ExceptionRecord(fingerprint="x2", kind="conflict", owner="finance_operations",
                                 reason="duplicate externalId")
        session.add_all([first, second])
        session.flush()
        ids = (first.id, second.id)
    with api.client(Access.VIEWER) as viewer:
        refused = viewer.post(f"/v1/exceptions/{ids[0]}/resolve", json={"note": "fixed"})
        assert refused.status_code == 403
        assert "operator or higher" in refused.json()["detail"]
        detail = viewer.get(f"/v1/exceptions/{ids[0]}").json()
        assert (detail["reason"], detail["status"]) == ("sku unknown", "open")
    with api.client(Access.OPERATOR) as operator:
        empty = operator.post(f"/v1/exceptions/{ids[0]}/resolve", json={"note": ""})
        assert empty.status_code == 422
        assert empty.json()["detail"][0]["loc"] == ["body", "note"]
        done = operator.post(f"/v1/exceptions/{ids[0]}/resolve",
                             json={"note": "SKU mapped in master data"}).json()
        assert (done["status"], done["resolved_by"], done["note"]) == (
            "resolved", "test-operator", "SKU mapped in master data")
        ignored = operator.post(f"/v1/exceptions/{ids[1]}/ignore",
                                json={"note": "test record"}).json()
        assert ignored["status"] == "ignored"
        assert operator.post("/v1/exceptions/999999/ignore",
                             json={"note": "x"}).status_code == 404
        no_engine = operator.post(f"/v1/exceptions/{ids[1]}/retry", json={"note": "again"})
        assert no_engine.status_code == 503
    with api.db.session() as session:
        actions = [(a.actor, a.action) for a in session.query(AuditLog).order_by(AuditLog.id)]
    assert ("test-operator", "exception.resolved") in actions
    assert ("test-operator", "exception.ignored") in actions


def test_nul_characters_are_refused_before_reaching_the_database(api: Api) -> None:
    with api.client(Access.OPERATOR) as client:
        for path in ("/v1/timeline?q=a%00b", "/v1/customers/cus_%00", "/console/timeline?q=%00",
                     "/v1/exceptions?owner=x%00"):
            answer = client.get(path)
            assert answer.status_code == 422, path
            assert answer.json()["detail"][0]["msg"] == "NUL characters are not allowed"
        note = client.post("/v1/exceptions/1/resolve", json={"note": "fixed\u0000"})
        assert note.status_code == 422


def test_a_note_of_only_whitespace_is_refused(api: Api) -> None:
    with api.db.session() as session:
        record = ExceptionRecord(fingerprint="w1", kind="data_quality", owner="master_data",
                                 reason="sku unknown")
        session.add(record)
        session.flush()
        record_id = record.id
    with api.client(Access.OPERATOR) as client:
        for note in (" ", "\u00a0\t"):
            answer = client.post(f"/v1/exceptions/{record_id}/resolve", json={"note": note})
            assert answer.status_code == 422
            assert answer.json()["detail"][0]["loc"] == ["body", "note"]
        assert client.get(f"/v1/exceptions/{record_id}").json()["status"] == "open"


def test_personal_data_is_masked_for_viewers_only(api: Api) -> None:
    from accord.canonical import Address, Contact, ContactRole

    customer = Customer(legal_name="Acme Corp", legal_entity="US01", currency="USD",
                        billing_address=Address(line1="1 Main St", city="Springfield",
                                                postal_code="62701", country="US"),
                        contacts=(Contact(name="Ann Payable", email="ap@acme.example",
                                          role=ContactRole.BILLING),))
    with api.db.session() as session:
        GoldenRecords(session, load_policy()).merge(
            customer.id, EntityType.CUSTOMER, "salesforce", customer.model_dump(mode="json"))
    with api.client(Access.VIEWER) as viewer:
        seen = viewer.get(f"/v1/customers/{customer.id}")
    with api.client(Access.OPERATOR) as operator:
        full = operator.get(f"/v1/customers/{customer.id}").json()["fields"]
    fields = seen.json()["fields"]
    for name in ("billing_address", "contacts", "tax_profile"):
        assert fields[name]["masked"] is True
        assert fields[name]["value"] == "\u2022\u2022\u2022\u2022 (masked)"
        assert full[name]["masked"] is False
    assert "ap@acme.example" not in seen.text
    assert "1 Main St" not in seen.text
    assert (fields["legal_name"]["value"], fields["legal_name"]["masked"]) == ("Acme Corp", False)
    assert fields["billing_address"]["owner"] == full["billing_address"]["owner"]
    assert full["contacts"]["value"][0]["email"] == "ap@acme.example"
    with api.client(None) as browser:
        # the console signs in with the token and keeps only a session id
        assert browser.post("/console/login", data={"token": api.tokens[Access.VIEWER]},
                            headers={"Origin": api.url}).status_code == 303
        page = browser.get(f"/console/customers/{customer.id}")
    assert page.status_code == 200
    assert 'data-masked="contacts"' in page.text
    assert "ap@acme.example" not in page.text


def test_a_step_shows_its_payload_with_secrets_redacted_and_personal_data_masked(
        api: Api) -> None:
    detail = {"request": {"Authorization": "Bearer sk_live_abc", "customer": {
        "name": "Acme", "email": "ap@acme.example", "billing_address": {"city": "Springfield"}},
        "api_key": "sk_live_abc"}, "response": {"id": "cus_1", "status": 200,
                                                 "items": [{"client_secret": "pi_secret_x"}]}}
    step_id = write_step(api.db, "corr-9", "stripe.create_customer", system="stripe",
                         detail=detail)
    with api.client(Access.VIEWER) as viewer:
        seen = viewer.get(f"/v1/timeline/steps/{step_id}")
        listed = viewer.get("/v1/timeline", params={"q": "corr-9"}).json()
        missing = viewer.get("/v1/timeline/steps/999999")
    with api.client(Access.OPERATOR) as operator:
        full = operator.get(f"/v1/timeline/steps/{step_id}").json()["detail"]
    assert listed["traces"][0]["steps"][0]["id"] == step_id
    shown = seen.json()["detail"]
    assert "sk_live_abc" not in seen.text
    assert "pi_secret_x" not in seen.text
    assert "ap@acme.example" not in seen.text
    assert shown["request"]["Authorization"] == "[redacted]"
    # a customer's name in a payload is personal (it is often a person's): masked
    assert shown["request"]["customer"]["name"] == "\u2022\u2022\u2022\u2022 (masked)"
    assert shown["request"]["customer"]["billing_address"] == "\u2022\u2022\u2022\u2022 (masked)"
    assert shown["response"] == {"id": "cus_1", "status": 200,
                                 "items": [{"client_secret": "[redacted]"}]}
    assert full["request"]["customer"]["email"] == "ap@acme.example"
    assert full["request"]["api_key"] == "[redacted]"
    assert missing.status_code == 404
    with api.client(None) as browser:
        # the console signs in with the token and keeps only a session id
        assert browser.post("/console/login", data={"token": api.tokens[Access.VIEWER]},
                            headers={"Origin": api.url}).status_code == 303
        page = browser.get(f"/console/timeline/steps/{step_id}")
    assert page.status_code == 200
    assert "[redacted]" in page.text
    assert "sk_live_abc" not in page.text
    assert "ap@acme.example" not in page.text


def test_customer_fields_are_json_in_the_api_and_text_for_people_on_the_console(
        api: Api) -> None:
    customer = Customer(
        legal_name="Contoso Retail Inc.", legal_entity="US01", currency="USD",
        billing_address=Address(line1="1 Market Street", city="San Francisco", country="US"),
        tax_profile=TaxProfile(registrations=(TaxRegistration(
            country="US", kind=TaxIdKind.EIN, value="80-8122250"),)),
        contacts=(Contact(name="Accounts Payable", email="ap@contoso.example",
                          role=ContactRole.BILLING),))
    with api.db.session() as session:
        GoldenRecords(session, load_policy()).merge(
            customer.id, EntityType.CUSTOMER, "salesforce", customer.model_dump(mode="json"))
    with api.client(Access.OPERATOR) as client:
        fields = client.get(f"/v1/customers/{customer.id}").json()["fields"]
    assert fields["billing_address"]["value"] == {
        "line1": "1 Market Street", "line2": None, "city": "San Francisco", "region": None,
        "postal_code": None, "country": "US"}
    assert fields["contacts"]["value"][0]["email"] == "ap@contoso.example"
    with api.client(None) as browser:
        # the console signs in with the token and keeps only a session id
        assert browser.post("/console/login", data={"token": api.tokens[Access.OPERATOR]},
                            headers={"Origin": api.url}).status_code == 303
        page = browser.get(f"/console/customers/{customer.id}").text
    assert "1 Market Street, San Francisco, US" in page
    assert "EIN 80-8122250 (US)" in page
    assert "Accounts Payable &lt;ap@contoso.example&gt; (billing)" in page
    for repr_mark in ("{&#39;", "[{", "None"):
        assert repr_mark not in page
