"""Signing exactly as NetSuite clients do: authlib's OAuth1Auth with HMAC-SHA256 (registered
the way the ``netsuite`` package registers it) and requests-oauthlib's OAuth1."""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from authlib.integrations.httpx_client import OAuth1Auth
from authlib.oauth1.rfc5849.client_auth import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape
from requests_oauthlib import OAuth1


def _hmac_sha256(client: Any, request: Any) -> str:
    base_string = generate_signature_base_string(request)
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class TbaAuth(OAuth1Auth):  # type: ignore[misc]
    """authlib's httpx auth with NetSuite's signature method, without touching authlib's
    global method table."""

    SIGNATURE_METHODS = {**ClientAuth.SIGNATURE_METHODS, "HMAC-SHA256": _hmac_sha256}


def authlib_auth(creds: dict[str, str], **overrides: Any) -> TbaAuth:
    values = {**creds, **overrides}
    return TbaAuth(client_id=values["consumer_key"], client_secret=values["consumer_secret"],
                   token=values["token_id"], token_secret=values["token_secret"],
                   realm=values["account_id"], signature_method="HMAC-SHA256",
                   force_include_body=True)


def oauthlib_auth(creds: dict[str, str]) -> OAuth1:
    return OAuth1(creds["consumer_key"], client_secret=creds["consumer_secret"],
                  resource_owner_key=creds["token_id"],
                  resource_owner_secret=creds["token_secret"], realm=creds["account_id"],
                  signature_method="HMAC-SHA256")
