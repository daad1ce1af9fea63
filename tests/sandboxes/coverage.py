"""Per object, how much of the vendor's description each sandbox emulates.

The figures in ``docs/sandboxes/{stripe,salesforce,netsuite}.md`` (between the
``<!-- fields:begin -->`` and ``<!-- fields:end -->`` markers) are generated here, from the
same descriptions the contract tests use; ``tests/sandboxes/test_field_coverage.py`` fails when
a page is out of date. Rewrite the pages with::

    .venv/bin/python -m tests.sandboxes.coverage --write
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

DOCS = Path(__file__).resolve().parents[2] / "docs" / "sandboxes"
BEGIN, END = "<!-- fields:begin -->", "<!-- fields:end -->"


def _share(part: int, whole: int) -> str:
    return f"{round(100 * part / whole)} %" if whole else "-"


def _names(names: list[str]) -> str:
    return ", ".join(f"`{name}`" for name in sorted(names)) or "none"


def stripe_table() -> str:
    from tests.stripe.description import documented_fields, object_class, payment_method_types

    from accord.sandboxes.stripe.shapes import NULL_ONLY
    rows = ["| object | documented fields | with behaviour | share | present only as `null` |",
            "|---|---:|---:|---:|---|"]
    total = emulated_total = 0
    for kind in sorted(NULL_ONLY):
        cls = object_class(kind)
        assert cls is not None, kind
        fields = set(documented_fields(cls))
        # a card PaymentMethod carries no member for the other payment method types
        other_types = (fields & payment_method_types()) - {"card"} if kind == "payment_method" \
            else set()
        emulated = fields - set(NULL_ONLY[kind]) - other_types
        note = (f" ({len(other_types)} are members for other payment method types, left out "
                "as Stripe leaves them out)" if other_types else "")
        rows.append(f"| `{kind}` | {len(fields)}{note} | {len(emulated)} | "
                    f"{_share(len(emulated), len(fields) - len(other_types))} | "
                    f"{_names(list(NULL_ONLY[kind]))} |")
        total += len(fields) - len(other_types)
        emulated_total += len(emulated)
    rows.append(f"| all | {total} | {emulated_total} | {_share(emulated_total, total)} | |")
    return "\n".join(rows)


def salesforce_table() -> str:
    from tests.salesforce.description import standard_fields

    from accord.sandboxes.salesforce.schema import OBJECTS
    rows = ["| object | standard fields | with behaviour | share | present only as `null` | "
            "custom fields (accord's) |", "|---|---:|---:|---:|---|---:|"]
    for obj in OBJECTS.values():
        standard = set(standard_fields()[obj.name])
        nulls = [f.name for f in obj.fields if f.null_only]
        custom = [f.name for f in obj.fields if f.name.endswith("__c")]
        emulated = len(standard) - len(nulls)
        rows.append(f"| `{obj.name}` | {len(standard)} | {emulated} | "
                    f"{_share(emulated, len(standard))} | {_names(nulls)} | {len(custom)} |")
    return "\n".join(rows)


def netsuite_table() -> str:
    from tests.netsuite.description import DEPARTURES, records

    from accord.sandboxes.netsuite.records.catalog import SPECS
    from accord.sandboxes.netsuite.records.metadata import DERIVED, created_field
    rows = ["| record type | body fields NetSuite documents | emulated | share | "
            "not emulated (never sent) | sent as text (departures) |",
            "|---|---:|---:|---:|---|---|"]
    for spec in SPECS:
        documented = set(records()[spec.name]["fields"])
        served = {f.name for f in spec.fields} | set(DERIVED.get(spec.name, {}))
        served |= {"lastModifiedDate", *([created_field(spec)] if created_field(spec) else [])}
        emulated = documented & served
        departures = sorted(f"{owner.split('.', 1)[-1] + '.' if '.' in owner else ''}{name}"
                            for owner, name in DEPARTURES
                            if owner.split(".")[0] == spec.name)
        rows.append(f"| `{spec.name}` | {len(documented)} | {len(emulated)} | "
                    f"{_share(len(emulated), len(documented))} | "
                    f"{_names(list(documented - served))} | {_names(departures)} |")
    return "\n".join(rows)


TABLES: dict[str, Callable[[], str]] = {"stripe.md": stripe_table,
                                        "salesforce.md": salesforce_table,
                                        "netsuite.md": netsuite_table}


def section(page: str) -> str:
    """The current text between the markers of ``page``."""
    text = (DOCS / page).read_text()
    found = re.search(re.escape(BEGIN) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    return found.group(1) if found else ""


def write(page: str) -> None:
    path = DOCS / page
    text = path.read_text()
    block = f"{BEGIN}\n{TABLES[page]()}\n{END}"
    pattern = re.escape(BEGIN) + r".*?" + re.escape(END)
    if re.search(pattern, text, re.S) is None:
        raise SystemExit(f"{path}: add the {BEGIN} / {END} markers where the table goes")
    path.write_text(re.sub(pattern, lambda _: block, text, flags=re.S))


def main() -> None:
    parser = argparse.ArgumentParser(description="field coverage tables of the sandboxes")
    parser.add_argument("--write", action="store_true", help="rewrite the docs pages")
    args = parser.parse_args()
    for page, table in TABLES.items():
        if args.write:
            write(page)
        else:
            print(f"## {page}\n{table()}\n")


if __name__ == "__main__":
    main()
