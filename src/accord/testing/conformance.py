"""The shared connector conformance suite.

A connector's tests subclass :class:`ConnectorConformance` and provide one fixture,
``harness``, returning a :class:`ConformanceHarness` wired to a running sandbox (over real
HTTP). The suite then checks, the same way for every connector:

* the definition is complete (kind, limits, settings model, probe);
* pagination terminates and yields every seeded record exactly once;
* every documented failure is classified as the connector's error table says;
* mapping round-trips (canonical -> system -> canonical) change nothing the system holds;
* an idempotent replay (same key twice) creates nothing new.

Example::

    class TestStripeConformance(ConnectorConformance):
        @pytest.fixture
        def harness(self, stripe_sandbox) -> ConformanceHarness:
            ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest

from accord.canonical.roles import Role
from accord.connectors.base import ConnectorDefinition
from accord.errors import AccordError


@dataclass(frozen=True)
class ErrorCase:
    """``call`` makes a real request that fails; ``expected`` is the class it must raise."""

    name: str
    call: Callable[[], Any]
    expected: type[AccordError]


@dataclass(frozen=True)
class RoundTrip:
    """``to_system`` then ``from_system`` must give back ``value`` (compared by ``project``)."""

    name: str
    value: Any
    to_system: Callable[[Any], Any]
    from_system: Callable[[Any], Any]
    project: Callable[[Any], Any] = field(default=lambda value: value)


@dataclass(frozen=True)
class ConformanceHarness:
    definition: ConnectorDefinition
    seed_records: Callable[[int], None]
    """Create ``n`` records of the listed kind in the sandbox."""
    list_ids: Callable[[int], Iterable[str]]
    """List every record of that kind with the given page size, following pages."""
    error_cases: Sequence[ErrorCase]
    round_trips: Sequence[RoundTrip]
    create_idempotent: Callable[[str], str]
    """Create one record with the given idempotency key; return its id."""
    count_created: Callable[[], int]
    """How many records of the idempotent kind exist now."""
    page_size: int = 7
    seed_count: int = 23


class ConnectorConformance:
    """Subclass and provide a ``harness`` fixture."""

    @pytest.fixture
    def harness(self) -> ConformanceHarness:  # pragma: no cover - subclasses provide it
        raise NotImplementedError("conformance subclasses must provide a harness fixture")

    def test_definition_is_complete(self, harness: ConformanceHarness) -> None:
        definition = harness.definition
        assert definition.name
        assert isinstance(definition.kind, Role)
        assert definition.limits.page_size > 0
        assert (definition.limits.max_concurrency or definition.limits.requests_per_second), \
            "a connector must declare at least one published limit"
        assert callable(definition.probe)
        definition.settings_model()  # defaults must load without a config file

    def test_pagination_terminates_and_yields_each_record_once(
            self, harness: ConformanceHarness) -> None:
        before = list(harness.list_ids(harness.page_size))
        harness.seed_records(harness.seed_count)
        after = list(harness.list_ids(harness.page_size))
        assert len(after) == len(set(after)), "a record was listed twice"
        assert len(after) == len(before) + harness.seed_count
        assert set(before) <= set(after)

    def test_errors_classify_as_the_table_says(self, harness: ConformanceHarness) -> None:
        assert harness.error_cases, "document at least one error case"
        for case in harness.error_cases:
            with pytest.raises(AccordError) as caught:
                case.call()
            assert type(caught.value) is case.expected, (
                f"{case.name}: raised {type(caught.value).__name__}, "
                f"expected {case.expected.__name__}")

    def test_mapping_round_trips(self, harness: ConformanceHarness) -> None:
        assert harness.round_trips, "document at least one mapping round trip"
        for case in harness.round_trips:
            back = case.from_system(case.to_system(case.value))
            assert case.project(back) == case.project(case.value), case.name

    def test_idempotent_replay_creates_nothing_new(self, harness: ConformanceHarness) -> None:
        before = harness.count_created()
        first = harness.create_idempotent("conformance-replay-key")
        second = harness.create_idempotent("conformance-replay-key")
        assert first == second
        assert harness.count_created() == before + 1


__all__ = ["ConformanceHarness", "ConnectorConformance", "ErrorCase", "RoundTrip"]
