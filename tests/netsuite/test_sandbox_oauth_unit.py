"""The signature base string is RFC 5849's, checked against the RFC's own example."""

from __future__ import annotations

from accord.sandboxes.netsuite.oauth import (
    SignedRequest,
    collect_parameters,
    parse_authorization,
    signature_base_string,
)

# RFC 5849 section 3.4.1.1
RFC_HEADER = ('OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", '
              'oauth_token="kkk9d7dh3k39sjv7", oauth_signature_method="HMAC-SHA1", '
              'oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", '
              'oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"')
RFC_BASE_STRING = (
    "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q"
    "%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_"
    "key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m"
    "ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk"
    "9d7dh3k39sjv7")


def test_base_string_matches_rfc_5849_example() -> None:
    request = SignedRequest(
        method="POST", url="http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        authorization=RFC_HEADER, content_type="application/x-www-form-urlencoded",
        body=b"c2&a3=2+q")
    oauth = parse_authorization(RFC_HEADER)
    assert oauth["realm"] == "Example"
    assert oauth["oauth_signature"] == "bYT5CMsGcbgUdFHObYMEfcx6bsw="
    params = collect_parameters(request, oauth)
    assert signature_base_string(request.method, request.url, params) == RFC_BASE_STRING


def test_default_ports_are_dropped_and_host_is_lower_case() -> None:
    base = signature_base_string("get", "HTTP://Example.COM:80/r%20v/X?id=1", [("id", "1")])
    assert base == "GET&http%3A%2F%2Fexample.com%2Fr%2520v%2FX&id%3D1"
    kept = signature_base_string("GET", "https://example.com:8443/", [])
    assert kept == "GET&https%3A%2F%2Fexample.com%3A8443%2F&"
