"""Contract tests: the official stripe client against the sandbox's core behaviour."""

from __future__ import annotations

import threading

import httpx
import pytest
from tests.sandboxes.contract import RECORDER

import stripe
from accord.sandboxes.server import RunningSandbox


def test_customer_crud_with_nested_metadata_and_address(client: stripe.StripeClient) -> None:
    created = client.v1.customers.create(params={
        "name": "Northwind", "email": "ap@northwind.example",
        "metadata": {"accord_id": "cus_abc", "legal_entity": "DE01"},
        "address": {"line1": "Friedrichstr. 1", "city": "Berlin", "country": "DE"},
        "preferred_locales": ["de", "en"],
    })
    assert created.object == "customer"
    assert created.id.startswith("cus_")
    assert created.metadata["accord_id"] == "cus_abc"
    assert created.address is not None
    assert created.address.city == "Berlin"
    assert created.preferred_locales == ["de", "en"]
    updated = client.v1.customers.update(created.id, params={
        "metadata": {"legal_entity": "", "tier": "gold"}, "name": "Northwind GmbH"})
    assert updated.metadata.to_dict() == {"accord_id": "cus_abc", "tier": "gold"}
    assert client.v1.customers.retrieve(created.id).name == "Northwind GmbH"
    gone = client.v1.customers.delete(created.id)
    assert gone.deleted is True
    assert client.v1.customers.retrieve(created.id).to_dict().get("deleted") is True


def test_list_pagination_both_directions(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create(params={"name": f"c{i}"}).id for i in range(25)]
    first = client.v1.customers.list(params={"limit": 10})
    assert first.object == "list"
    assert first.url == "/v1/customers"
    assert first.has_more is True
    assert [c.id for c in first.data] == ids[::-1][:10]
    every = [c.id for c in client.v1.customers.list(params={"limit": 7}).auto_paging_iter()]
    assert every == ids[::-1]
    before = client.v1.customers.list(params={"limit": 5, "ending_before": ids[10]})
    assert [c.id for c in before.data] == ids[15:10:-1]
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.list(params={"limit": 101})
    assert caught.value.param == "limit"


def test_expand_and_bracketed_query_parameters(client: stripe.StripeClient,
                                               sandbox: RunningSandbox) -> None:
    product = client.v1.products.create(params={"name": "Platform"})
    price = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                            "unit_amount": 1200})
    expanded = client.v1.prices.retrieve(price.id, params={"expand": ["product"]})
    assert expanded.product.name == "Platform"
    listed = client.v1.prices.list(params={"expand": ["data.product"]})
    assert listed.data[0].product.id == product.id
    # both array styles, percent-encoded brackets, as other clients send them
    key = sandbox.credentials()["api_key"]
    raw = httpx.get(f"{sandbox.base_url}/v1/prices/{price.id}?expand%5B%5D=product",
                    headers={"Authorization": f"Bearer {key}"})
    assert raw.json()["product"]["object"] == "product"


def test_tiered_price_and_search(client: stripe.StripeClient) -> None:
    product = client.v1.products.create(params={"name": "API calls",
                                                "metadata": {"sku": "API-1"}})
    tiered = client.v1.prices.create(params={
        "product": product.id, "currency": "eur", "billing_scheme": "tiered",
        "tiers_mode": "graduated", "recurring": {"interval": "month", "usage_type": "metered"},
        "tiers": [{"up_to": 1000, "unit_amount_decimal": "0.5"},
                  {"up_to": "inf", "unit_amount": 0, "flat_amount": 100}]})
    assert tiered.tiers is not None
    assert tiered.tiers[1].up_to is None
    assert tiered.recurring is not None
    assert tiered.recurring.usage_type == "metered"
    found = client.v1.products.search(params={"query": "metadata['sku']:'API-1'"})
    assert found.object == "search_result"
    assert [p.id for p in found.data] == [product.id]


def test_errors_raise_the_stripe_python_classes(client: stripe.StripeClient,
                                                sandbox: RunningSandbox) -> None:
    with pytest.raises(stripe.InvalidRequestError) as missing:
        client.v1.prices.create(params={"currency": "usd", "unit_amount": 5})
    assert missing.value.param == "product"
    assert missing.value.code == "parameter_missing"
    assert missing.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as absent:
        client.v1.customers.retrieve("cus_doesnotexist")
    assert absent.value.http_status == 404
    assert absent.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as bad_currency:
        client.v1.prices.create(params={"product": client.v1.products.create(
            params={"name": "x"}).id, "currency": "xyz", "unit_amount": 5})
    assert bad_currency.value.param == "currency"
    wrong_key = stripe.StripeClient("sk_test_wrong", base_addresses={"api": sandbox.base_url},
                                    max_network_retries=0)
    live_key = stripe.StripeClient("sk_live_nope", base_addresses={"api": sandbox.base_url},
                                   max_network_retries=0)
    wrong_key.v1.customers.list()  # any sk_test_ key is accepted when none is configured
    with pytest.raises(stripe.AuthenticationError) as denied:
        live_key.v1.customers.list()
    assert denied.value.http_status == 401
    assert "****" in str(denied.value.user_message)
    assert "sk_live_nope" not in str(denied.value.user_message)
    no_key = httpx.get(f"{sandbox.base_url}/v1/customers")
    assert no_key.status_code == 401
    assert no_key.json()["error"]["type"] == "invalid_request_error"


def test_configured_key_is_the_only_one_accepted(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accord.sandboxes.base import SandboxOptions
    from accord.sandboxes.server import start_in_thread
    from accord.sandboxes.stripe import SANDBOX

    running = start_in_thread(SANDBOX, SandboxOptions(
        data_dir=tmp_path, settings={"api_key": "sk_test_only_this_one"}, recorder=RECORDER))
    try:
        good = stripe.StripeClient("sk_test_only_this_one",
                                   base_addresses={"api": running.base_url},
                                   max_network_retries=0)
        other = stripe.StripeClient("sk_test_another", base_addresses={"api": running.base_url},
                                    max_network_retries=0)
        assert good.v1.customers.list().data == []
        with pytest.raises(stripe.AuthenticationError):
            other.v1.customers.list()
    finally:
        running.stop()


def test_idempotent_replay_and_conflicting_reuse(client: stripe.StripeClient,
                                                 sandbox: RunningSandbox) -> None:
    options: stripe.RequestOptions = {"idempotency_key": "create-northwind"}
    first = client.v1.customers.create(params={"name": "Northwind"}, options=options)
    again = client.v1.customers.create(params={"name": "Northwind"}, options=options)
    assert first.id == again.id
    assert len(client.v1.customers.list().data) == 1
    key = sandbox.credentials()["api_key"]
    raw = httpx.post(f"{sandbox.base_url}/v1/customers", data={"name": "Northwind"},
                     headers={"Authorization": f"Bearer {key}",
                              "Idempotency-Key": "create-northwind"})
    assert raw.headers["Idempotent-Replayed"] == "true"
    assert raw.headers["Original-Request"] == first.last_response.request_id
    assert raw.json()["id"] == first.id
    with pytest.raises(stripe.IdempotencyError) as caught:
        client.v1.customers.create(params={"name": "Southwind"}, options=options)
    assert caught.value.http_status == 400
    assert len(client.v1.customers.list().data) == 1


def test_rate_limit_answers_429(client: stripe.StripeClient, control: httpx.Client) -> None:
    control.post("/__sandbox/clock/freeze", json={}).raise_for_status()
    control.put("/__sandbox/faults", json={"rate_limit_per_second": 3}).raise_for_status()
    for _ in range(3):
        client.v1.customers.list()
    with pytest.raises(stripe.RateLimitError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 429
    assert caught.value.json_body is not None
    assert caught.value.json_body["error"]["code"] == "rate_limit"
    control.post("/__sandbox/clock/advance", json={"seconds": 2}).raise_for_status()
    client.v1.customers.list()


def test_default_rate_limit_is_stripes_test_mode_25(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from accord.sandboxes.base import SandboxOptions
    from accord.sandboxes.server import start_in_thread
    from accord.sandboxes.stripe import SANDBOX

    running = start_in_thread(SANDBOX, SandboxOptions(data_dir=tmp_path, recorder=RECORDER))
    try:
        httpx.post(f"{running.base_url}/__sandbox/clock/freeze", json={}).raise_for_status()
        client = stripe.StripeClient("sk_test_x", base_addresses={"api": running.base_url},
                                     max_network_retries=0)
        for _ in range(25):
            client.v1.customers.list()
        with pytest.raises(stripe.RateLimitError):
            client.v1.customers.list()
    finally:
        running.stop()


def test_injected_faults_look_like_stripe_5xx(client: stripe.StripeClient,
                                              control: httpx.Client) -> None:
    control.put("/__sandbox/faults", json={"error_rate": 1.0, "error_status": 500}
                ).raise_for_status()
    with pytest.raises(stripe.APIError) as caught:
        client.v1.customers.list()
    assert caught.value.http_status == 500
    assert caught.value.headers is not None
    assert caught.value.headers.get("stripe-should-retry") == "true"
    control.delete("/__sandbox/faults").raise_for_status()
    assert client.v1.customers.list().object == "list"


def test_state_dump_and_reset(client: stripe.StripeClient, control: httpx.Client) -> None:
    client.v1.customers.create(params={"name": "x"})
    assert len(control.get("/__sandbox/state").json()["customer"]) == 1
    control.post("/__sandbox/reset").raise_for_status()
    assert client.v1.customers.list().data == []


def test_concurrent_creates_stay_consistent(client: stripe.StripeClient) -> None:
    made: list[str] = []
    lock = threading.Lock()

    def create(index: int) -> None:
        for j in range(5):
            customer = client.v1.customers.create(params={"name": f"{index}-{j}"})
            with lock:
                made.append(customer.id)

    threads = [threading.Thread(target=create, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    listed = [c.id for c in client.v1.customers.list(params={"limit": 100}).auto_paging_iter()]
    assert sorted(listed) == sorted(made)
    assert len(set(made)) == 40


def test_unknown_url_is_stripes_404(client: stripe.StripeClient,
                                    sandbox: RunningSandbox) -> None:
    key = sandbox.credentials()["api_key"]
    answer = httpx.get(f"{sandbox.base_url}/v1/nothing_here",
                       headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 404
    assert "Unrecognized request URL" in answer.json()["error"]["message"]


def test_search_pages_with_next_page(client: stripe.StripeClient) -> None:
    made = {client.v1.customers.create(params={"name": f"s{i}",
                                                "metadata": {"segment": "smb"}}).id
            for i in range(5)}
    client.v1.customers.create(params={"name": "other", "metadata": {"segment": "ent"}})
    first = client.v1.customers.search(params={"query": "metadata['segment']:'smb'",
                                               "limit": 2})
    assert first.has_more is True
    assert first.next_page is not None
    every = client.v1.customers.search(params={"query": "metadata['segment']:'smb'",
                                               "limit": 2}).auto_paging_iter()
    assert {c.id for c in every} == made
    with pytest.raises(stripe.InvalidRequestError) as bad:
        client.v1.customers.search(params={"query": "this is not a query"})
    assert bad.value.param == "query"


def test_backward_auto_paging_with_ending_before(client: stripe.StripeClient) -> None:
    ids = [client.v1.products.create(params={"name": f"p{i}"}).id for i in range(9)]
    # newest first: ids[8] ... ids[0]; page backwards from the oldest
    backwards = client.v1.products.list(params={"limit": 2, "ending_before": ids[0]})
    seen = [p.id for p in backwards.auto_paging_iter()]
    assert sorted(seen) == sorted(ids[1:])
    assert len(seen) == 8


def test_search_negation_and_numeric_comparison(client: stripe.StripeClient) -> None:
    cheap = client.v1.products.create(params={"name": "cheap", "metadata": {"tier": "a"}})
    dear = client.v1.products.create(params={"name": "dear", "metadata": {"tier": "b"}})
    found = client.v1.products.search(params={"query": "-metadata['tier']:'a'"})
    assert [p.id for p in found.data] == [dear.id]
    both = client.v1.products.search(params={"query": f"created>={cheap.created} AND "
                                             "active:'true'"})
    assert {p.id for p in both.data} == {cheap.id, dear.id}


def test_unknown_parameters_are_refused(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as caught:
        client.v1.customers.create(params={"name": "x", "nmae": "typo"})  # type: ignore[typeddict-unknown-key]
    assert caught.value.code == "parameter_unknown"
    assert caught.value.param == "nmae"
    assert client.v1.customers.list().data == []


def test_a_refused_request_changes_nothing(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.CardError):
        client.v1.customers.create(params={"name": "x", "payment_method": "pm_card_chargeDeclined"})
    assert client.v1.customers.list().data == []
    customer = client.v1.customers.create(params={"name": "y"})
    product = client.v1.products.create(params={"name": "p"})
    monthly = client.v1.prices.create(params={"product": product.id, "currency": "usd",
                                              "unit_amount": 100,
                                              "recurring": {"interval": "month"}})
    sub = client.v1.subscriptions.create(params={
        "customer": customer.id, "items": [{"price": monthly.id}],
        "collection_method": "send_invoice"})
    item = sub["items"].data[0]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.subscriptions.update(sub.id, params={"items": [
            {"id": item.id, "quantity": 5}, {"price": "price_missing"}]})
    again = client.v1.subscriptions.retrieve(sub.id)
    assert again["items"].data[0].quantity == 1
    assert client.v1.invoice_items.list(params={"customer": customer.id}).data == []
