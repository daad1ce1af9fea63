"""The field coverage tables in docs/sandboxes/*.md are the ones the descriptions give."""

from __future__ import annotations

import pytest
from tests.sandboxes.coverage import TABLES, section


@pytest.mark.parametrize("page", sorted(TABLES))
def test_the_docs_state_the_current_field_coverage(page: str) -> None:
    assert section(page) == TABLES[page](), (
        f"docs/sandboxes/{page} is out of date: .venv/bin/python -m tests.sandboxes.coverage "
        "--write")
