"""Shared by the sandboxes' contract tests: one recorder for the whole test session.

Each sandbox's fixtures start it with ``SandboxOptions(recorder=RECORDER)``, so every answer
its tests get is kept. The sandbox's ``test_contract.py`` runs last in its directory
(``run_last`` from the directory's ``conftest.py``) and judges all of them against the vendor's
description, plus the answers of a short tour of its own that makes every object kind it
emulates (so the check means something when the file runs alone).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path

import pytest

from accord.sandboxes.recording import Exchange, Recorder

RECORDER = Recorder()


def run_last(items: list[pytest.Item], contract_file: Path) -> None:
    """Move the tests of ``contract_file`` after every other collected test."""
    mine = [item for item in items if Path(str(item.fspath)) == contract_file]
    if mine:
        others = [item for item in items if Path(str(item.fspath)) != contract_file]
        items[:] = others + mine


def summary(problems: Iterable[str], *, limit: int = 40) -> str:
    """The distinct problems, most frequent first, for an assertion message."""
    counts = Counter(problems)
    lines = [f"{count:5d} x {text}" for text, count in counts.most_common(limit)]
    more = len(counts) - limit
    return "\n".join(lines + ([f"... and {more} more"] if more > 0 else []))


def json_answers(sandbox: str, recorder: Recorder = RECORDER) -> list[Exchange]:
    return [exchange for exchange in recorder.of(sandbox) if exchange.is_json]


__all__ = ["RECORDER", "json_answers", "run_last", "summary"]
