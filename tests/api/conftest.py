"""API test fixtures."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from api_support import Api, serve_api


@pytest.fixture
def api(database_url: str) -> Iterator[Api]:
    with serve_api(database_url) as running:
        yield running
