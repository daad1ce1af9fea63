"""Exception actions: a closed exception keeps who closed it and why."""

from __future__ import annotations

from accord.api.tokens import Access
from tests.security.support import ORIGIN, App, console_login, open_an_exception


def test_a_closed_exception_cannot_be_closed_again_through_the_api(app: App) -> None:
    exception_id = open_an_exception(app)
    operator = app.auth(Access.OPERATOR)
    first = app.client.post(f"/v1/exceptions/{exception_id}/resolve",
                            json={"note": "sender fixed"}, headers=operator)
    assert first.status_code == 200, first.text
    again = app.client.post(f"/v1/exceptions/{exception_id}/ignore",
                            json={"note": "overwrite"}, headers=operator)
    assert again.status_code == 409, again.text
    shown = app.client.get(f"/v1/exceptions/{exception_id}", headers=operator).json()
    assert (shown["status"], shown["note"]) == ("resolved", "sender fixed")


def test_a_closed_exception_cannot_be_closed_again_from_the_console(app: App) -> None:
    exception_id = open_an_exception(app)
    console_login(app, Access.OPERATOR)
    form = {"Origin": ORIGIN}
    first = app.client.post(f"/console/exceptions/{exception_id}/ignore",
                            data={"note": "noise"}, headers=form, follow_redirects=False)
    assert first.status_code == 303, first.text
    again = app.client.post(f"/console/exceptions/{exception_id}/resolve",
                            data={"note": "overwrite"}, headers=form, follow_redirects=False)
    assert again.status_code == 409, again.text
    shown = app.client.get(f"/v1/exceptions/{exception_id}",
                           headers=app.auth(Access.VIEWER)).json()
    assert (shown["status"], shown["note"]) == ("ignored", "noise")
