"""Security headers on every response; no page pulls scripts from a public CDN."""

from __future__ import annotations

import re

import pytest

from accord.api.tokens import Access
from tests.security.support import App, console_login, event_body, post_hook

PAGES = ["/console", "/console/exceptions", "/console/customers", "/console/kpis",
         "/console/reconciliation", "/console/timeline?q=x"]


def assert_hardened(headers: dict[str, str] | object, where: str) -> None:
    policy = headers["content-security-policy"]  # type: ignore[index]
    assert "frame-ancestors 'none'" in policy, where
    assert "default-src 'self'" in policy, where
    assert headers["x-content-type-options"] == "nosniff", where  # type: ignore[index]


def test_every_console_page_and_api_answer_carries_the_security_headers(app: App) -> None:
    console_login(app, Access.VIEWER)
    for path in PAGES:
        page = app.client.get(path)
        assert page.status_code == 200, path
        assert_hardened(page.headers, path)
        assert page.headers["cache-control"] == "no-store", path
        # every script, style and image comes from the app itself
        assert not re.search(r'(src|href)="(https?:)?//', page.text), path
    for path in ("/v1/exceptions", "/v1/kpis", "/openapi.json", "/console/login",
                 "/v1/nothing-here", "/console/static/console.css"):
        answer = app.client.get(path, headers=app.auth(Access.VIEWER))
        assert_hardened(answer.headers, path)
    assert app.client.get("/v1/exceptions", headers=app.auth(Access.VIEWER)
                          ).headers["cache-control"] == "no-store"
    refused = post_hook(app, event_body(), "t=1,v1=00")
    assert refused.status_code == 400
    assert_hardened(refused.headers, "/hooks/stripe")


@pytest.mark.parametrize("path", ["/docs", "/redoc", "/docs/oauth2-redirect"])
def test_no_docs_page_loads_assets_from_a_public_cdn(app: App, path: str) -> None:
    answer = app.client.get(path)
    assert answer.status_code == 404
    assert "cdn." not in answer.text
