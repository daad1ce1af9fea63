"""The ``netsuite`` PyPI package's REST client, pointed at the sandbox.

The package builds ``https://<account>.suitetalk.api.netsuite.com/services/rest<subpath>``.
The one adaptation: replace ``_make_url`` on the ``rest_api`` instance so it builds the same
path on the sandbox's base URL instead. Signing (authlib ``OAuth1Auth``, HMAC-SHA256, realm =
account, ``force_include_body``) is the package's own.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from netsuite.exceptions import NetsuiteAPIRequestError

from accord.sandboxes.server import RunningSandbox
from netsuite import Config, NetSuite, TokenAuth


def _rest_api(sandbox: RunningSandbox, creds: dict[str, str], **override: str) -> Any:
    values = {**creds, **override}
    config = Config(account=values["account_id"], auth=TokenAuth(
        consumer_key=values["consumer_key"], consumer_secret=values["consumer_secret"],
        token_id=values["token_id"], token_secret=values["token_secret"]))
    api = NetSuite(config).rest_api
    api._make_url = lambda subpath: f"{sandbox.base_url}/services/rest{subpath}"
    return api


def test_the_netsuite_package_talks_to_the_sandbox(sandbox: RunningSandbox,
                                                   creds: dict[str, str]) -> None:
    api = _rest_api(sandbox, creds)

    async def scenario() -> dict[str, Any]:
        created = await api.request("POST", "/record/v1/customer", json={
            "companyName": "Package Co", "subsidiary": {"id": "2"}})
        assert created.status_code == 204, created.text
        internal_id = created.headers["Location"].rsplit("/", 1)[1]
        await api.patch(f"/record/v1/customer/{internal_id}", json={"email": "p@co.example"})
        await api.put("/record/v1/customer/eid:PKG-2", json={
            "companyName": "Upserted", "subsidiary": {"id": "1"}})
        record = await api.get(f"/record/v1/customer/{internal_id}")
        page = await api.suiteql("SELECT id, companyname FROM customer ORDER BY id", limit=1,
                                 offset=1)
        listing = await api.get("/record/v1/customer")
        return {"record": record, "page": page, "listing": listing}

    results = asyncio.run(scenario())
    assert results["record"]["companyName"] == "Package Co"
    assert results["record"]["email"] == "p@co.example"
    assert results["record"]["currency"]["refName"] == "EUR"
    page = results["page"]
    assert (page["count"], page["hasMore"], page["offset"], page["totalResults"]) == \
        (1, False, 1, 2)
    assert page["items"][0]["companyname"] == "Upserted"
    assert results["listing"]["totalResults"] == 2


def test_the_netsuite_package_sees_401_on_wrong_credentials(sandbox: RunningSandbox,
                                                            creds: dict[str, str]) -> None:
    api = _rest_api(sandbox, creds, token_secret="wrong")
    with pytest.raises(NetsuiteAPIRequestError) as refused:
        asyncio.run(api.get("/record/v1/subsidiary/1"))
    assert refused.value.status_code == 401
    assert "INVALID_LOGIN" in refused.value.response_text
