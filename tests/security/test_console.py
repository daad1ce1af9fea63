"""The console against a hostile browser: forged cross-origin forms, open redirects and
out-of-range input, on the real app."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accord.api.tokens import Access
from tests.security.support import ORIGIN, App, console_login, open_an_exception

HUGE_ID = str(2**64)


@pytest.mark.parametrize("headers", [
    {"Origin": "http://testserver:8081"},  # another port of the same host
    {"Origin": "https://attacker.example"},
    {"Origin": "null"},
    {"Referer": "http://attacker.example/console/exceptions"},
    {},  # neither Origin nor Referer
], ids=["other-port", "other-site", "null-origin", "foreign-referer", "no-origin"])
def test_a_cross_origin_console_form_is_refused(app: App, headers: dict[str, str]) -> None:
    exception_id = open_an_exception(app)
    console_login(app, Access.OPERATOR)
    forged = app.client.post(f"/console/exceptions/{exception_id}/ignore",
                             data={"note": "forged"}, headers=headers, follow_redirects=False)
    assert forged.status_code == 403, forged.text
    shown = app.client.get(f"/v1/exceptions/{exception_id}",
                           headers=app.auth(Access.VIEWER)).json()
    assert shown["status"] == "open"


def test_a_cross_site_login_is_refused(app: App) -> None:
    answer = app.client.post("/console/login", data={"token": app.tokens[Access.ADMIN]},
                             headers={"Origin": "https://attacker.example"},
                             follow_redirects=False)
    assert answer.status_code == 403
    assert "set-cookie" not in answer.headers


@pytest.mark.parametrize(("referer", "location"), [
    ("https://attacker.example/console/exceptions", None),
    ("//attacker.example/console", None),
    (f"{ORIGIN}/console/exceptions?owner=master_data", "/console/exceptions?owner=master_data"),
], ids=["foreign-referer", "scheme-relative", "own-page"])
def test_after_an_action_the_console_redirects_only_to_its_own_pages(
        app: App, referer: str, location: str | None) -> None:
    exception_id = open_an_exception(app)
    console_login(app, Access.OPERATOR)
    answer = app.client.post(f"/console/exceptions/{exception_id}/resolve",
                             data={"note": "fixed"}, follow_redirects=False,
                             headers={"Origin": ORIGIN, "Referer": referer})
    assert answer.status_code == 303
    assert answer.headers["location"] == (location or f"/console/exceptions/{exception_id}")


@pytest.mark.parametrize("path", [
    "/console/exceptions?min_age_hours=1e20",
    "/console/exceptions?min_age_hours=inf",
    "/console/exceptions?min_age_hours=nan",
    "/console/exceptions?min_age_hours=-1",
    f"/console/exceptions/{HUGE_ID}",
    f"/console/timeline/steps/{HUGE_ID}",
    f"/console/reconciliation/{HUGE_ID}",
    f"/console/reconciliation?page={10**30}",
    f"/console/reconciliation/1?page={2**62}",
])
def test_out_of_range_console_input_is_422_as_in_the_api(app: App, path: str) -> None:
    console_login(app, Access.VIEWER)
    assert app.client.get(path).status_code == 422


ODD = st.one_of(st.text(max_size=40), st.sampled_from(
    ["1e20", "inf", "-inf", "nan", "-1", "0", HUGE_ID, str(-(2**64)), "1e-400", "\u202e",
     "' OR 1=1 --", "%00", "🙂" * 10]))


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(page=st.sampled_from(["/console/exceptions", "/console/timeline", "/console/customers",
                             "/console/reconciliation", "/console/systems"]),
       name=st.sampled_from(["min_age_hours", "page", "q", "kind", "owner", "status_",
                             "system", "probe"]),
       value=ODD)
def test_console_query_parameters_never_give_a_500(app: App, page: str, name: str,
                                                   value: str) -> None:
    console_login(app, Access.VIEWER)
    answer = app.client.get(page, params={name: value})
    assert answer.status_code in (200, 404, 422), (page, name, value, answer.text[:300])


@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(action=st.sampled_from(["resolve", "ignore", "retry", "reopen"]), note=ODD,
       target=st.sampled_from(["1", "0", HUGE_ID, "-5", "abc"]))
def test_console_forms_never_give_a_500(app: App, action: str, note: str,
                                        target: str) -> None:
    console_login(app, Access.OPERATOR)
    answer = app.client.post(f"/console/exceptions/{target}/{action}", data={"note": note},
                             headers={"Origin": ORIGIN}, follow_redirects=False)
    assert answer.status_code in (303, 404, 409, 422, 503), (action, note, target,
                                                             answer.text[:300])
