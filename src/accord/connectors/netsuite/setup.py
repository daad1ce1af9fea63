"""What accord needs in a NetSuite account beyond credentials: the subsidiaries, items and
GL accounts its reference data names (``accord doctor``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from accord.connectors.base import ProbeResult, ProbeStatus, SetupCheck
from accord.connectors.netsuite.client import NetSuiteClient
from accord.connectors.netsuite.refdata import load_refdata
from accord.connectors.netsuite.settings import NetSuiteSettings
from accord.errors import AccordError


def _missing(client: NetSuiteClient, table: str, ids: Iterable[str]) -> list[str]:
    wanted = sorted({str(i) for i in ids})
    if not wanted:
        return []
    listed = ", ".join(f"'{i}'" for i in wanted if i.isalnum())
    rows = client.suiteql(f"SELECT id FROM {table} WHERE id IN ({listed})")  # noqa: S608
    found = {str(row["id"]) for row in rows}
    return [i for i in wanted if i not in found]


def verify_setup(settings: Any, _event_types: Sequence[str]) -> list[SetupCheck]:
    if not isinstance(settings, NetSuiteSettings):
        settings = NetSuiteSettings()
    ref = load_refdata(settings.refdata_path)
    wanted = {
        "subsidiaries": ("subsidiary", [s.id for s in ref.subsidiaries.values()]),
        "items": ("item", [i.id for i in ref.items.values()]),
        "GL accounts": ("account", [*ref.accounts.values(),
                                    *ref.roles.model_dump().values()]),
    }
    checks: list[SetupCheck] = []
    with NetSuiteClient(settings, retry=False) as client:
        for name, (table, ids) in wanted.items():
            try:
                missing = _missing(client, table, ids)
            except AccordError as exc:
                checks.append(SetupCheck(name, ProbeResult(
                    ProbeStatus.FAILED, f"cannot read {table}: {exc.message}",
                    "give the integration role SuiteQL access to the record")))
                continue
            checks.append(SetupCheck(name, ProbeResult(
                ProbeStatus.FAILED, f"reference data {ref.version} names {table} ids not in "
                f"the account: {', '.join(missing)}", "fix the reference data "
                "(refdata_path) or create the records in NetSuite")
                if missing else ProbeResult(ProbeStatus.OK, f"{len(set(ids))} found "
                                            f"(reference data {ref.version})")))
    return checks


__all__ = ["verify_setup"]
