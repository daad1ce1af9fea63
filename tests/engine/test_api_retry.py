"""An operator retries a failed flow over the API while the engine runs in the process."""

from __future__ import annotations

import httpx
import pytest
from dbos import DBOS
from engine_support_flows import quote_to_cash
from engine_support_server import Scripted

from accord.api import create_app
from accord.api.tokens import Access, create_token
from accord.engine import FlowFailed, FlowInput, run_flow
from accord.engine.exception_queue import ExceptionStatus, get_exception, list_exceptions
from accord.sandboxes.server import serve_in_thread
from accord.settings import load_settings


def test_operator_retry_over_http_reruns_the_flow(sqlite_url, engine_factory, effects) -> None:
    runtime = engine_factory(sqlite_url)
    effects.state.fail_next("create_subscription",
                            Scripted(422, {"field": "currency", "reason": "unsupported"}))
    with pytest.raises(FlowFailed):
        run_flow(quote_to_cash, FlowInput(correlation_id="c-api",
                                          keys={"customer": "cus_9"})).get_result()
    [record] = list_exceptions(runtime.database, status=ExceptionStatus.OPEN)
    with runtime.database.session() as session:
        token = create_token(session, "ana", Access.OPERATOR)
    # the engine is already running in this process: the app only serves
    server = serve_in_thread(create_app(load_settings(), runtime.database), name="api")
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{server.port}",
                          headers={"Authorization": f"Bearer {token}"}) as client:
            answer = client.post(f"/v1/exceptions/{record.id}/retry",
                                 json={"note": "currency fixed in Salesforce"})
            assert answer.status_code == 202, answer.text
            workflow_id = answer.json()["workflow_id"]
            DBOS.retrieve_workflow(workflow_id).get_result()
            shown = client.get(f"/v1/exceptions/{record.id}").json()
    finally:
        server.stop()
    assert shown["status"] == "resolved"
    assert get_exception(runtime.database, record.id).resolved_by == "engine"
    assert [e["name"] for e in effects.state.log] == [
        "read_opportunity", "create_subscription", "post_invoice"]
