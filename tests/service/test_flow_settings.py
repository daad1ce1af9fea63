"""The flows' waits and invoice posting's batch size are settings of ``accord.toml``
(``[flows]``): how often and how long a posting looks for a record it depends on, and how
many finalized invoices one posting run takes. The drills and an operator with a fast ERP
set the waits short; a bad value is one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from accord import bootstrap
from accord.bootstrap.service import FlowSettingsError, flow_settings_from
from accord.flows.systems import FlowSettings
from accord.settings import AccordSettings


def test_the_flows_table_sets_the_waits_of_the_deployment(tmp_path: Path) -> None:
    deployment = bootstrap.prepare(
        AccordSettings(database_url=SecretStr(f"sqlite:///{tmp_path / 'a.db'}")),
        config={"flows": {"wait_interval": 0.5, "wait_attempts": 8, "invoice_batch": 40}})
    try:
        assert deployment.systems.settings == FlowSettings(wait_interval=0.5, wait_attempts=8,
                                                           invoice_batch=40)
    finally:
        deployment.close()
    assert flow_settings_from({}) == FlowSettings()


@pytest.mark.parametrize(("table", "named"), [
    ({"wait_interval": 0}, "flows.wait_interval"),
    ({"wait_attempts": 2.5}, "flows.wait_attempts"),
    ({"wait_attempts": True}, "flows.wait_attempts"),
    ({"waits": 3}, "flows.waits"),
    ({"invoice_batch": 0}, "flows.invoice_batch"),
])
def test_a_bad_flows_setting_names_itself(table: dict[str, object], named: str) -> None:
    with pytest.raises(FlowSettingsError, match=named.replace(".", r"\.")):
        flow_settings_from({"flows": table})
