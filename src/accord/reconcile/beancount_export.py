"""An independent check of ERP postings: export journal entries to a beancount ledger and
have beancount's own checker (``bean-check``) accept it.

Accounts are named ``<Type>:<Subsidiary>:A<number>`` from a chart mapping GL account numbers to
beancount's five account types. Each entry's lines become postings in the entry's currency.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from accord.canonical.ledger import AccountType, JournalEntry, Side


class LedgerCheckError(Exception):
    """bean-check refused the ledger; ``output`` is what it said."""

    def __init__(self, output: str) -> None:
        super().__init__(f"bean-check refused the ledger: {output.strip()}")
        self.output = output


@dataclass(frozen=True)
class Chart:
    """GL account number -> beancount account type."""

    types: Mapping[str, AccountType]

    def name(self, subsidiary: str, account: str) -> str:
        if account not in self.types:
            raise KeyError(f"account: {account} is not in the chart of accounts")
        safe_sub = re.sub(r"[^A-Za-z0-9]", "", subsidiary).upper() or "X"
        safe_acct = re.sub(r"[^A-Za-z0-9]", "-", account)
        return f"{self.types[account].value}:{safe_sub}:A{safe_acct}"


def _transaction(entry: JournalEntry, chart: Chart, opened: dict[str, set[str]]) -> list[str]:
    narration = (entry.memo or entry.source_document or entry.id).replace('"', "'")
    lines = [f'{entry.entry_date.isoformat()} * "{narration}" ^{entry.id}']
    for line in entry.lines:
        account = chart.name(entry.legal_entity, line.account)
        opened.setdefault(account, set()).add(entry.currency)
        sign = Decimal(1) if line.side is Side.DEBIT else Decimal(-1)
        lines.append(f"  {account}  {sign * line.amount.amount} {entry.currency}")
    lines.append("")
    return lines


def _opens(opened: dict[str, set[str]], open_date: date) -> list[str]:
    return [f"{open_date.isoformat()} open {account} {','.join(sorted(currencies))}"
            for account, currencies in sorted(opened.items())]


def render_ledger(entries: Iterable[JournalEntry], chart: Chart, *,
                  open_date: date = date(2000, 1, 1)) -> str:
    """The beancount text for ``entries`` (accounts opened on ``open_date``)."""
    body: list[str] = []
    opened: dict[str, set[str]] = {}
    for entry in sorted(entries, key=lambda e: (e.entry_date, e.id)):
        body.extend(_transaction(entry, chart, opened))
    header = _opens(opened, open_date)
    return "\n".join(['option "operating_currency" "USD"', "", *header, "", *body]) + "\n"


def write_ledger(entries: Iterable[JournalEntry], chart: Chart, path: Path, *,
                 open_date: date = date(2000, 1, 1)) -> int:
    """Stream ``entries`` to a beancount file in the order they come (beancount orders a
    ledger by date itself), the account openings last; only the account names are held.
    Returns how many entries were written."""
    opened: dict[str, set[str]] = {}
    count = 0
    with path.open("w") as out:
        out.write('option "operating_currency" "USD"\n\n')
        for entry in entries:
            out.write("\n".join(_transaction(entry, chart, opened)) + "\n")
            count += 1
        out.write("\n".join(_opens(opened, open_date)) + "\n")
    return count


def bean_check(path: Path) -> None:
    """Run beancount's own checker on ``path``; raise :class:`LedgerCheckError` if it refuses."""
    checker = Path(sys.executable).with_name("bean-check")
    command = [str(checker)] if checker.exists() else [sys.executable, "-m",
                                                        "beancount.scripts.check"]
    result = subprocess.run([*command, str(path)], capture_output=True, text=True,  # noqa: S603
                            check=False)
    if result.returncode != 0:
        raise LedgerCheckError(result.stdout + result.stderr)


def trial_balance(path: Path) -> dict[tuple[str, str], Decimal]:
    """Balance per (account, currency) as beancount computes it from the ledger file."""
    from beancount import loader
    from beancount.core import data

    entries, errors, _options = loader.load_file(str(path))
    if errors:
        raise LedgerCheckError("; ".join(str(error.message) for error in errors))
    balances: dict[tuple[str, str], Decimal] = {}
    for entry in entries:
        if isinstance(entry, data.Transaction):
            for posting in entry.postings:
                if posting.units is None or posting.units.number is None:
                    continue
                key = (posting.account, str(posting.units.currency))
                balances[key] = balances.get(key, Decimal(0)) + posting.units.number
    return balances


__all__ = ["AccountType", "Chart", "LedgerCheckError", "bean_check", "render_ledger",
           "trial_balance", "write_ledger"]
