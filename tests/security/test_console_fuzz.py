"""Every console route, found by walking the console's routers (so a new page is fuzzed
without being listed here), gets hostile path parameters, query parameters and form fields
(hypothesis): no answer is a 500. The console is left out of the OpenAPI document, which
the API's schema-driven fuzz (tests/api/test_openapi_fuzz.py) walks; this is its twin."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.api.tokens import Access
from accord.console import reports, traces, views
from tests.security.support import ORIGIN, App, console_login

HOSTILE = st.one_of(
    st.text(max_size=40),
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    st.sampled_from(["", "0", "1", "-1", "1e20", "1e-400", "inf", "-inf", "nan", "NaN",
                     str(2**63), str(2**64), "9" * 400, "resolve", "ignore", "reopen",
                     "' OR 1=1 --", "<script>alert(1)</script>", "%00", "\u202e", "..%2f..",
                     "/etc/passwd", "🙂" * 20, "a" * 5000, "\\x00", "{{7*7}}"]))
ANSWERS_NOT_500 = settings(max_examples=8, deadline=None, derandomize=True, database=None,
                           suppress_health_check=list(HealthCheck))


def _names(dependant: Any, kind: str) -> list[str]:
    found = [field.alias for field in getattr(dependant, kind)]
    for sub in dependant.dependencies:
        found += _names(sub, kind)
    return found


ROUTES = [(method, route) for module in (views, reports, traces)
          for route in module.router.routes if isinstance(route, APIRoute)
          for method in sorted(route.methods)]


def test_the_walk_finds_the_console() -> None:
    paths = {route.path for _, route in ROUTES}
    assert {"/console/exceptions/{exception_id}/{action}", "/console/invoices",
            "/console/reconciliation/{run_id}", "/console/login"} <= paths
    assert len(ROUTES) >= 19


@pytest.mark.parametrize(("method", "route"), ROUTES,
                         ids=[f"{method} {route.path}" for method, route in ROUTES])
def test_no_console_input_gives_a_500(app: App, method: str, route: APIRoute) -> None:
    path_names = _names(route.dependant, "path_params")
    query_names = _names(route.dependant, "query_params")
    form_names = _names(route.dependant, "body_params")

    @ANSWERS_NOT_500
    @given(path=st.fixed_dictionaries(dict.fromkeys(path_names, HOSTILE)),
           query=st.dictionaries(st.sampled_from(query_names), HOSTILE) if query_names
           else st.just({}),
           form=st.fixed_dictionaries(dict.fromkeys(form_names, HOSTILE)))
    def exercise(path: dict[str, str], query: dict[str, str], form: dict[str, str]) -> None:
        console_login(app, Access.OPERATOR)
        url = route.path
        for name, value in path.items():
            url = url.replace(f"{{{name}}}", quote(value, safe="") or "_")
        answer = app.client.request(method, url, params=query, data=form or None,
                                    headers={"Origin": ORIGIN}, follow_redirects=False)
        # 503: a retry needs the engine, which this process does not run
        assert answer.status_code < 500 or (answer.status_code == 503 and
                                            url.endswith("/retry")), (
            method, url, query, form, answer.status_code, answer.text[:300])

    exercise()
