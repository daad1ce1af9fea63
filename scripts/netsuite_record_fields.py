"""Regenerate tests/netsuite/record_fields.json from a NetSuite account's metadata catalog.

The contract test of the NetSuite sandbox judges its records against that table: per record
type, the body fields and sublist fields with NetSuite's types (string, number, integer,
boolean, date, date-time, ref, select). It reads, for every record type already in the table,
``GET /services/rest/record/v1/metadata-catalog/{type}`` and each sublist's
``{type}-{sublist}Element`` with ``Accept: application/schema+json``, signed with token-based
authentication (OAuth 1.0a, HMAC-SHA256):

    NS_ACCOUNT=1234567 NS_CONSUMER_KEY=... NS_CONSUMER_SECRET=... NS_TOKEN_ID=... \\
        NS_TOKEN_SECRET=... .venv/bin/python scripts/netsuite_record_fields.py

``NS_BASE_URL`` overrides https://<account>.suitetalk.api.netsuite.com (pointing it at a
running sandbox shows what the sandbox's own catalog says; write that with ``--output`` to a
scratch file, not over the table). Custom fields (``x-ns-custom-field``) are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

import requests
from requests_oauthlib import OAuth1

TABLE = Path(__file__).resolve().parent.parent / "tests" / "netsuite" / "record_fields.json"
CATALOG = "/services/rest/record/v1/metadata-catalog"
SKIP = {"links", "id", "externalId"}


def kind_of(schema: dict[str, Any]) -> str:
    """NetSuite's JSON Schema for one property -> the table's type word."""
    if schema.get("$ref"):
        return "sublist" if str(schema["$ref"]).endswith("Collection") else "ref"
    if schema.get("type") == "object":
        return "select" if "refName" in schema.get("properties", {}) else "ref"
    if schema.get("format") in ("date", "date-time"):
        return str(schema["format"])
    return str(schema.get("type", "string"))


def fields_of(schema: dict[str, Any]) -> dict[str, str]:
    return {name: kind_of(prop) for name, prop in sorted(schema.get("properties", {}).items())
            if name not in SKIP and not prop.get("x-ns-custom-field")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=TABLE)
    args = parser.parse_args()
    env = {name: os.environ.get(f"NS_{name}") for name in
           ("ACCOUNT", "CONSUMER_KEY", "CONSUMER_SECRET", "TOKEN_ID", "TOKEN_SECRET")}
    if not all(env.values()):
        print("set NS_ACCOUNT, NS_CONSUMER_KEY, NS_CONSUMER_SECRET, NS_TOKEN_ID, "
              "NS_TOKEN_SECRET", file=sys.stderr)
        return 2
    account = str(env["ACCOUNT"])
    base = os.environ.get("NS_BASE_URL") or (
        f"https://{account.lower().replace('_', '-')}.suitetalk.api.netsuite.com")
    auth = OAuth1(str(env["CONSUMER_KEY"]), str(env["CONSUMER_SECRET"]),
                  str(env["TOKEN_ID"]), str(env["TOKEN_SECRET"]),
                  signature_method="HMAC-SHA256", realm=account)
    current = json.loads(TABLE.read_text())
    table: dict[str, Any] = {}
    with requests.Session() as session:
        session.auth = auth
        session.headers["Accept"] = "application/schema+json"

        def schema(name: str) -> dict[str, Any]:
            answer = session.get(f"{base}{CATALOG}/{name}", timeout=60)
            answer.raise_for_status()
            found: dict[str, Any] = answer.json()
            return found

        for record_type in current["records"]:
            fields = fields_of(schema(record_type))
            sublists = {name: fields_of(schema(f"{record_type}-{name}Element"))
                        for name, kind in fields.items() if kind == "sublist"}
            table[record_type] = {
                "fields": {k: v for k, v in fields.items() if v != "sublist"},
                "sublists": sublists}
    current["records"] = table
    args.output.write_text(json.dumps(current, indent=1) + "\n")
    print(f"{args.output}: " + ", ".join(f"{k} {len(v['fields'])}" for k, v in table.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
