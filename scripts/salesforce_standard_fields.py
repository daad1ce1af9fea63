"""Regenerate tests/salesforce/standard_fields.json from a Salesforce org's describe.

The contract test of the Salesforce sandbox judges its records and describe answers against
that table: per emulated object, every standard field with its describe type. Run this
against a real org (a Developer Edition with multiple currencies enabled matches the table
the sandbox was built from) when Salesforce's objects change:

    SF_INSTANCE_URL=https://<domain>.my.salesforce.com SF_SESSION_ID=<session or token> \\
        .venv/bin/python scripts/salesforce_standard_fields.py [--version 62.0]

Only standard fields are kept (``custom`` false in describe); custom fields are each org's
own configuration. The objects are the ones already in the table.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from simple_salesforce import Salesforce

TABLE = Path(__file__).resolve().parent.parent / "tests" / "salesforce" / "standard_fields.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--version", default="62.0", help="API version to describe with")
    parser.add_argument("--output", type=Path, default=TABLE)
    args = parser.parse_args()
    instance, session = os.environ.get("SF_INSTANCE_URL"), os.environ.get("SF_SESSION_ID")
    if not instance or not session:
        print("set SF_INSTANCE_URL and SF_SESSION_ID", file=sys.stderr)
        return 2
    current = json.loads(TABLE.read_text())
    sf = Salesforce(instance_url=instance, session_id=session, version=args.version)
    objects: dict[str, dict[str, str]] = {}
    for name in current["objects"]:
        described = getattr(sf, name).describe()
        objects[name] = dict(sorted((field["name"], field["type"])
                                    for field in described["fields"] if not field["custom"]))
    current["api_version"] = args.version
    current["objects"] = objects
    args.output.write_text(json.dumps(current, indent=1) + "\n")
    print(f"{args.output}: " + ", ".join(f"{k} {len(v)}" for k, v in objects.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
