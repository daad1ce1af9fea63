"""OAuth 1.0a token-based authentication for httpx, signed by authlib with HMAC-SHA256.

authlib ships HMAC-SHA1, RSA-SHA1 and PLAINTEXT; NetSuite accepts only HMAC-SHA256 since
2023.1. :class:`TokenAuth` adds that method to its own copy of authlib's method table (the
global one stays untouched), sets ``realm`` to the account id, and signs the body
(``force_include_body``; authlib then adds ``oauth_body_hash`` for JSON) because authlib's
httpx integration would otherwise drop a non-form body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import warnings
from typing import Any

from authlib.deprecate import AuthlibDeprecationWarning

with warnings.catch_warnings():
    # authlib warns that it prefers the httpx2 distribution; accord uses httpx deliberately
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import OAuth1Auth
from authlib.oauth1.rfc5849.client_auth import ClientAuth
from authlib.oauth1.rfc5849.signature import generate_signature_base_string
from authlib.oauth1.rfc5849.util import escape

SIGNATURE_METHOD = "HMAC-SHA256"


def sign_hmac_sha256(client: Any, request: Any) -> str:
    """RFC 5849 section 3.4.2 with SHA-256: key ``escape(consumer)&escape(token)``."""
    base_string = generate_signature_base_string(request)
    key = f"{escape(client.client_secret or '')}&{escape(client.token_secret or '')}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


class TokenAuth(OAuth1Auth):  # type: ignore[misc]
    SIGNATURE_METHODS = {**ClientAuth.SIGNATURE_METHODS, SIGNATURE_METHOD: sign_hmac_sha256}

    def __init__(self, *, account_id: str, consumer_key: str, consumer_secret: str,
                 token_id: str, token_secret: str) -> None:
        super().__init__(client_id=consumer_key, client_secret=consumer_secret, token=token_id,
                         token_secret=token_secret, realm=account_id,
                         signature_method=SIGNATURE_METHOD, force_include_body=True)

    def __repr__(self) -> str:
        return f"TokenAuth(realm={self.realm!r}, consumer_key={self.client_id!r}, secrets=***)"


__all__ = ["SIGNATURE_METHOD", "TokenAuth", "sign_hmac_sha256"]
