"""Token-based authentication: what NetSuite accepts and what it refuses with 401."""

from __future__ import annotations

import time

import httpx
import pytest
import requests
from tests.netsuite.conftest import error_of
from tests.netsuite.signing import authlib_auth, oauthlib_auth

from accord.sandboxes.server import RunningSandbox


def _signed(client: httpx.Client, auth: httpx.Auth, method: str, url: str,
            **kwargs: object) -> httpx.Request:
    request = client.build_request(method, url, **kwargs)  # type: ignore[arg-type]
    return next(auth.auth_flow(request))


def test_authlib_signed_requests_with_and_without_body_are_accepted(ns: httpx.Client) -> None:
    assert ns.get("/record/v1/currency", params={"limit": 2}).status_code == 200
    created = ns.post("/record/v1/customer",
                      json={"companyName": "Acme", "subsidiary": {"id": "1"}})
    assert created.status_code == 204, created.text
    # authlib adds oauth_body_hash for JSON bodies (force_include_body, as the netsuite package)
    assert "oauth_body_hash" in created.request.headers["Authorization"]
    assert 'realm="1234567_SB1"' in created.request.headers["Authorization"]
    assert 'oauth_signature_method="HMAC-SHA256"' in created.request.headers["Authorization"]


def test_requests_oauthlib_signed_requests_are_accepted(sandbox: RunningSandbox,
                                                        creds: dict[str, str]) -> None:
    base = f"{sandbox.base_url}/services/rest"
    with requests.Session() as session:
        session.auth = oauthlib_auth(creds)
        listed = session.get(f"{base}/record/v1/subsidiary", params={"limit": "1", "offset": "1"})
        assert listed.status_code == 200, listed.text
        assert listed.json()["items"][0]["id"] == "2"
        query = session.post(f"{base}/query/v1/suiteql", json={"q": "SELECT id FROM currency"},
                             headers={"Prefer": "transient"})
        assert query.status_code == 200, query.text
        assert query.json()["count"] == 5


def test_a_wrong_secret_is_401_invalid_login(sandbox: RunningSandbox,
                                             creds: dict[str, str]) -> None:
    for wrong in ({"consumer_secret": "nope"}, {"token_secret": "nope"},
                  {"account_id": "7654321"}, {"token_id": "other"}):
        auth = authlib_auth(creds, **wrong)
        answer = httpx.get(f"{sandbox.base_url}/services/rest/record/v1/customer", auth=auth)
        assert answer.status_code == 401, wrong
        detail = error_of(answer)
        assert detail["o:errorCode"] == "INVALID_LOGIN"
        assert answer.json()["title"] == "Unauthorized"
    assert httpx.get(f"{sandbox.base_url}/services/rest/record/v1/customer").status_code == 401
    # NetSuite no longer accepts HMAC-SHA1, even when correctly signed
    sha1 = authlib_auth(creds)
    sha1.signature_method = "HMAC-SHA1"
    answer = httpx.get(f"{sandbox.base_url}/services/rest/record/v1/customer", auth=sha1)
    assert answer.status_code == 401
    rejections = httpx.get(f"{sandbox.base_url}/__sandbox/netsuite/auth").json()
    assert rejections["signature_method"] == 1


def test_a_replayed_nonce_is_refused(sandbox: RunningSandbox, creds: dict[str, str]) -> None:
    with httpx.Client(base_url=f"{sandbox.base_url}/services/rest") as client:
        signed = _signed(client, authlib_auth(creds), "GET", "/record/v1/subsidiary/1")
        assert client.send(signed).status_code == 200
        replay = client.send(signed)
        assert replay.status_code == 401
        assert error_of(replay)["o:errorCode"] == "INVALID_LOGIN"
    rejections = httpx.get(f"{sandbox.base_url}/__sandbox/netsuite/auth").json()
    assert rejections == {"nonce_replay": 1}


def test_a_stale_timestamp_is_refused(sandbox: RunningSandbox, creds: dict[str, str],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import authlib.oauth1.rfc5849.client_auth as client_auth

    monkeypatch.setattr(client_auth, "generate_timestamp", lambda: str(int(time.time()) - 3600))
    answer = httpx.get(f"{sandbox.base_url}/services/rest/record/v1/subsidiary/1",
                       auth=authlib_auth(creds))
    assert answer.status_code == 401
    rejections = httpx.get(f"{sandbox.base_url}/__sandbox/netsuite/auth").json()
    assert rejections == {"stale_timestamp": 1}


def test_tampering_with_query_body_or_url_breaks_the_signature(sandbox: RunningSandbox,
                                                               creds: dict[str, str]) -> None:
    with httpx.Client(base_url=f"{sandbox.base_url}/services/rest") as client:
        auth = authlib_auth(creds)
        signed = _signed(client, auth, "GET", "/record/v1/customer", params={"limit": "5"})
        tampered = httpx.Request("GET", signed.url.copy_with(params={"limit": "6"}),
                                 headers=signed.headers)
        assert client.send(tampered).status_code == 401
        signed = _signed(client, auth, "POST", "/record/v1/customer",
                         json={"companyName": "A", "subsidiary": {"id": "1"}})
        body = b'{"companyName": "B", "subsidiary": {"id": "1"}}'
        headers = {k: v for k, v in signed.headers.items() if k.lower() != "content-length"}
        forged = httpx.Request("POST", signed.url, headers=headers, content=body)
        assert client.send(forged).status_code == 401
    rejections = httpx.get(f"{sandbox.base_url}/__sandbox/netsuite/auth").json()
    assert rejections == {"signature": 1, "body_hash": 1}


def test_form_parameters_are_part_of_the_signature(sandbox: RunningSandbox,
                                                   creds: dict[str, str]) -> None:
    url = f"{sandbox.base_url}/services/rest/record/v1/customer"
    prepared = requests.Request("POST", url, data={"a": "1", "b": "two words"},
                                auth=oauthlib_auth(creds)).prepare()
    with requests.Session() as session:
        accepted = session.send(prepared)
        # signature fine, but a form body is not a record: NetSuite answers 400, not 401
        assert accepted.status_code == 400, accepted.text
        prepared = requests.Request("POST", url, data={"a": "1", "b": "two words"},
                                    auth=oauthlib_auth(creds)).prepare()
        prepared.body = "a=2&b=two+words"
        assert session.send(prepared).status_code == 401
