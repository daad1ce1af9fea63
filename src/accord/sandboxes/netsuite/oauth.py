"""OAuth 1.0a token-based authentication (TBA), verified as NetSuite does (RFC 5849).

The signature base string is ``METHOD&<base string URI>&<normalized parameters>`` where the
parameters are the ``oauth_*`` values of the ``Authorization`` header (minus ``realm`` and
``oauth_signature``), the query string and, for ``application/x-www-form-urlencoded`` bodies,
the form fields; each name and value is percent-encoded, then sorted by name and value. The key
is ``consumer_secret&token_secret`` and the method ``HMAC-SHA256`` (NetSuite ended HMAC-SHA1).
``realm`` must be the account id. A nonce may be used once; a timestamp must lie within
``window_seconds`` of the sandbox clock (or of the host's clock, so that a sandbox whose clock
was advanced for a scenario keeps accepting clients that sign with real time). An
``oauth_body_hash`` (draft-eaton-oauth-bodyhash), when present, must match the body's SHA-1 or
SHA-256 digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from accord.sandboxes.netsuite.errors import ErrorCode, NetSuiteError

SIGNATURE_METHOD = "HMAC-SHA256"
_PARAM = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"([^"]*)"')
_LOGIN_DETAIL = ("Invalid login attempt. For more details, see the Login Audit Trail in the "
                 "NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.")


@dataclass(frozen=True)
class TokenCredentials:
    """The one integration record and access token the sandbox accepts."""

    account_id: str
    consumer_key: str
    consumer_secret: str
    token_id: str
    token_secret: str

    def __repr__(self) -> str:
        return (f"TokenCredentials(account_id={self.account_id!r}, "
                f"consumer_key={self.consumer_key!r}, token_id={self.token_id!r}, secrets=***)")


@dataclass(frozen=True)
class SignedRequest:
    """What verification needs from an HTTP request."""

    method: str
    url: str
    authorization: str | None
    content_type: str
    body: bytes


def percent_encode(value: str) -> str:
    """RFC 5849 section 3.6: every byte except unreserved characters is %XX (upper case)."""
    return quote(value, safe="-._~")


def parse_authorization(header: str) -> dict[str, str]:
    scheme, _, rest = header.strip().partition(" ")
    if scheme.lower() != "oauth":
        raise login_failed()
    return {name: unquote(value) for name, value in _PARAM.findall(rest)}


def base_string_uri(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(scheme)
    authority = host if port is None or port == default else f"{host}:{port}"
    return f"{scheme}://{authority}{parts.path or '/'}"


def normalized_parameters(params: list[tuple[str, str]]) -> str:
    encoded = sorted((percent_encode(name), percent_encode(value)) for name, value in params)
    return "&".join(f"{name}={value}" for name, value in encoded)


def signature_base_string(method: str, url: str, params: list[tuple[str, str]]) -> str:
    return "&".join((percent_encode(method.upper()), percent_encode(base_string_uri(url)),
                     percent_encode(normalized_parameters(params))))


def sign(base_string: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{percent_encode(consumer_secret)}&{percent_encode(token_secret)}"
    digest = hmac.new(key.encode(), base_string.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def login_failed() -> NetSuiteError:
    return NetSuiteError(401, ErrorCode.INVALID_LOGIN, _LOGIN_DETAIL)


def collect_parameters(request: SignedRequest, oauth: Mapping[str, str]
                       ) -> list[tuple[str, str]]:
    params = [(k, v) for k, v in oauth.items() if k not in ("realm", "oauth_signature")]
    params += parse_qsl(urlsplit(request.url).query, keep_blank_values=True)
    if "application/x-www-form-urlencoded" in request.content_type.lower():
        params += parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True)
    return params


class TokenVerifier:
    """Verifies TBA signatures and remembers nonces for the freshness window."""

    def __init__(self, credentials: TokenCredentials, now: Callable[[], datetime],
                 window_seconds: int = 300) -> None:
        self.credentials = credentials
        self._now = now
        self.window = window_seconds
        self._nonces: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()
        self.rejections: dict[str, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._nonces.clear()
            self.rejections.clear()

    def _reject(self, reason: str) -> NetSuiteError:
        with self._lock:
            self.rejections[reason] = self.rejections.get(reason, 0) + 1
        return login_failed()

    def _fresh(self, timestamp: int) -> bool:
        references = (self._now().timestamp(), datetime.now(UTC).timestamp())
        return any(abs(timestamp - reference) <= self.window for reference in references)

    def verify(self, request: SignedRequest) -> None:
        """Return if the request is properly signed; raise 401 INVALID_LOGIN otherwise."""
        if not request.authorization:
            raise self._reject("missing_header")
        oauth = parse_authorization(request.authorization)
        creds = self.credentials
        if oauth.get("realm", "").upper() != creds.account_id.upper():
            raise self._reject("realm")
        if oauth.get("oauth_consumer_key") != creds.consumer_key:
            raise self._reject("consumer_key")
        if oauth.get("oauth_token") != creds.token_id:
            raise self._reject("token")
        if oauth.get("oauth_signature_method") != SIGNATURE_METHOD:
            raise self._reject("signature_method")
        if oauth.get("oauth_version", "1.0") != "1.0":
            raise self._reject("version")
        try:
            timestamp = int(oauth.get("oauth_timestamp", ""))
        except ValueError:
            raise self._reject("timestamp") from None
        if not self._fresh(timestamp):
            raise self._reject("stale_timestamp")
        nonce = oauth.get("oauth_nonce", "")
        if not nonce:
            raise self._reject("nonce")
        body_hash = oauth.get("oauth_body_hash")
        if body_hash is not None and body_hash not in {
                base64.b64encode(hashlib.sha1(request.body).digest()).decode(),  # noqa: S324
                base64.b64encode(hashlib.sha256(request.body).digest()).decode()}:
            raise self._reject("body_hash")
        base = signature_base_string(request.method, request.url,
                                     collect_parameters(request, oauth))
        expected = sign(base, creds.consumer_secret, creds.token_secret)
        if not hmac.compare_digest(expected, oauth.get("oauth_signature", "")):
            raise self._reject("signature")
        key = (creds.consumer_key, creds.token_id, nonce)
        with self._lock:
            self._purge(timestamp)
            if key in self._nonces:
                self.rejections["nonce_replay"] = self.rejections.get("nonce_replay", 0) + 1
                raise login_failed()
            self._nonces[key] = timestamp

    def _purge(self, now_ts: int) -> None:
        if len(self._nonces) < 10_000:
            return
        horizon = 2 * self.window
        self._nonces = {k: ts for k, ts in self._nonces.items()
                        if abs(now_ts - ts) <= horizon}


__all__ = ["SIGNATURE_METHOD", "SignedRequest", "TokenCredentials", "TokenVerifier",
           "base_string_uri", "collect_parameters", "login_failed", "normalized_parameters",
           "parse_authorization", "percent_encode", "sign", "signature_base_string"]
