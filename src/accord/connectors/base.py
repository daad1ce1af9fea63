"""The contract every connector implements.

A connector package holds:

* ``client.py`` - transport, auth, paging and limits (wrapping the vendor's official client
  where one exists);
* ``mapping.py`` - pure functions between the system's records and canonical entities;
* ``intake.py`` - webhook verification and/or a change poller;
* ``errors.py`` - the error table: how each documented failure is classified;
* ``__init__.py`` - ``CONNECTOR = ConnectorDefinition(...)``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from pydantic_settings import BaseSettings

from accord.canonical.period import Period
from accord.canonical.record_keys import KeyResolver, NoKeys
from accord.canonical.roles import Role
from accord.errors import AccordError, PermanentError, RateLimited, Team
from accord.resilience.limits import LimitsProfile
from accord.resilience.retry import RetryPolicy

T = TypeVar("T")


class ProbeStatus(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"


@dataclass(frozen=True)
class ProbeResult:
    """What ``accord doctor`` shows for one system: status, what was seen, how to fix."""

    status: ProbeStatus
    detail: str
    fix: str = ""


@dataclass(frozen=True)
class ProbeFixes:
    """What a probe tells the operator to do when its system answered with an error: the
    credentials or settings were refused, the system could not be reached, or (a warning,
    not a failure) it is throttling the account - None: a throttle counts as unreachable."""

    refused: str
    unreachable: str
    throttled: str | None = None


def probe_failure(where: str, error: AccordError, fixes: ProbeFixes) -> ProbeResult:
    """The probe result of ``error`` from the system at ``where``."""
    if isinstance(error, RateLimited) and fixes.throttled is not None:
        return ProbeResult(ProbeStatus.WARNING, f"{where}: {error.message}", fixes.throttled)
    fix = fixes.refused if isinstance(error, PermanentError) else fixes.unreachable
    return ProbeResult(ProbeStatus.FAILED, f"{where}: {error.message}", fix)


@dataclass(frozen=True)
class AdapterOptions:
    """How the start-up path builds a connector's role adapter: the retry policy inside a
    call and its sleep (tests), and whether the client retries at all (off for the flows:
    the engine's step budget is their one retry layer)."""

    policy: RetryPolicy | None = None
    sleep: Callable[[float], None] | None = None
    retries: bool = False


@dataclass(frozen=True)
class ReaderOptions:
    """How reconciliation reads a system: ``keys`` resolves the system's ids to canonical
    ones (the identity registry), ``period`` limits documents to one accounting period
    (None: all time), and ``upstream`` names the systems whose ids this one may carry as
    its own external ids (an ERP's records posted under a billing system's id)."""

    keys: KeyResolver = field(default_factory=NoKeys)
    period: Period | None = None
    upstream: tuple[str, ...] = ()


@dataclass(frozen=True)
class EventFacts:
    """What the engine needs of an inbound event, in accord's words: its business keys
    (``accord.flows.keys.Key`` values) and the source system's id of the customer it
    concerns (which orders it after that customer's earlier events)."""

    keys: Mapping[str, str]
    customer_ref: str | None = None


@dataclass(frozen=True)
class SetupCheck:
    """One thing accord needs set up in a system (``accord doctor``): its name and result."""

    name: str
    result: ProbeResult


@dataclass(frozen=True)
class PollSpec:
    """A change stream the connector reads on a schedule: the system sends no webhook for
    it, or the poll backs its webhooks up. ``poller`` builds the poller from the system's
    role adapter; ``every_seconds`` is the default interval
    (``[schedules."poll.<system>.<stream>"]`` in accord.toml overrides it)."""

    stream: str
    every_seconds: int
    poller: Callable[[Any], ChangePoller]
    description: str


@dataclass(frozen=True)
class ConnectorDefinition:
    """Declares a connector: name, kind, published limits, settings model, doctor probe and
    the change streams it polls."""

    name: str
    kind: Role
    description: str
    limits: LimitsProfile
    settings_model: type[BaseSettings]
    probe: Callable[[Any], ProbeResult]
    sandbox: str | None = None  # name of the matching sandbox, if accord ships one
    # builds the system's webhook verifier from its settings (None: the signing secret is
    # not configured); left None by connectors that receive no webhooks
    webhook_verifier: Callable[[Any], WebhookVerifier | None] | None = None
    polls: tuple[PollSpec, ...] = ()
    # subscribes a URL to event types from the settings' account and returns the signing
    # secret (``accord init``); None for connectors whose webhooks are set up by hand
    register_webhook: Callable[[Any, str, Sequence[str]], str] | None = None
    # what accord needs set up in the system beyond credentials (custom fields, webhook
    # endpoint, reference records), checked with the settings and the event types the flows
    # handle; run by ``accord doctor`` once the probe passed
    verify_setup: Callable[[Any, Sequence[str]], list[SetupCheck]] | None = None
    # builds the adapter of the role it plays (``accord.ports``) for system instance
    # ``name`` from its settings; the only way accord above the connectors talks to it
    adapter: Callable[[str, Any, AdapterOptions], Any] | None = None
    # the system's event types -> accord's (``accord.canonical.events.EventType``); a type
    # not listed is the system's own and starts no flow
    events: Mapping[str, str] = field(default_factory=dict)
    # what an event of the system is about (its keys and customer), from its payload
    describe_event: Callable[[InboundEvent], EventFacts] | None = None
    # builds the system's reconciliation reader from its role adapter (see
    # ``accord.ports.reconciliation``); None for systems reconciliation does not read
    reconciliation_reader: Callable[[Any, ReaderOptions], Any] | None = None
    # settings a deployment on the connector's sandbox adds to its credentials
    sandbox_settings: Mapping[str, Any] = field(default_factory=dict)
    # top-level payload fields the system may change between deliveries of one event (a
    # delivery counter, not the event's content): left out when redeliveries are compared
    redelivery_volatile: tuple[str, ...] = ()

    def canonical_event(self, event_type: str) -> str:
        """accord's name for one of the system's event types (unknown ones unchanged)."""
        return self.events.get(event_type, event_type)


# -- errors -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class HttpFailure:
    """A failed call, reduced to what classification needs. ``code`` is the vendor's error code."""

    status: int | None
    code: str | None = None
    message: str = ""
    retry_after: float | None = None
    field: str | None = None


@dataclass(frozen=True)
class ErrorRule:
    """One row of a connector's error table.

    A rule matches when ``statuses`` contains the status (or is empty) and ``code`` equals the
    vendor code (or is None). The first matching rule wins.
    """

    error: type[AccordError]
    statuses: frozenset[int] = frozenset()
    code: str | None = None
    owner: Team = Team.INTEGRATION_ENGINEERING
    description: str = ""

    def matches(self, failure: HttpFailure) -> bool:
        status_ok = not self.statuses or failure.status in self.statuses
        code_ok = self.code is None or self.code == failure.code
        return status_ok and code_ok


def statuses(*values: int | range) -> frozenset[int]:
    """``statuses(429, range(500, 600))`` -> a frozenset of status codes."""
    result: set[int] = set()
    for value in values:
        result.update(value if isinstance(value, range) else (value,))
    return frozenset(result)


def classify(table: Sequence[ErrorRule], failure: HttpFailure, *, system: str) -> AccordError:
    """Turn a failure into the accord error its table row names (PermanentError if none)."""
    from accord.errors import DataQualityError

    for rule in table:
        if not rule.matches(failure):
            continue
        detail = failure.message or None
        if rule.error is RateLimited:
            return RateLimited(failure.message or "rate limited", retry_after=failure.retry_after,
                               system=system, status=failure.status, detail=detail)
        if rule.error is DataQualityError:
            reason = failure.message or rule.description
            return DataQualityError(failure.field or "(record)", reason, owner=rule.owner,
                                    system=system, status=failure.status, detail=detail)
        return rule.error(failure.message or rule.description, system=system,
                          status=failure.status, detail=detail)
    return PermanentError(failure.message or f"unclassified failure (status {failure.status})",
                          system=system, status=failure.status)


# -- paging -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Page(Generic[T]):
    items: Sequence[T]
    next_cursor: str | None


def iterate_pages(fetch: Callable[[str | None], Page[T]], *, system: str,
                  max_pages: int = 1_000_000) -> Iterator[T]:
    """Yield every item across pages; refuse a cursor that repeats (a server looping)."""
    cursor: str | None = None
    seen: set[str] = set()
    for _ in range(max_pages):
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        if page.next_cursor in seen:
            raise PermanentError(f"pagination cursor {page.next_cursor!r} repeated", system=system)
        seen.add(page.next_cursor)
        cursor = page.next_cursor
    raise PermanentError(f"more than {max_pages} pages", system=system)


# -- intake -----------------------------------------------------------------------------------
class WebhookRejected(Exception):
    """A delivery that failed verification. ``reason`` is safe to show; it holds no secret.
    ``field`` names the event's field when the delivery is signed but that field is not
    valid (an id that is not a string, a timestamp out of range)."""

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.reason = reason
        self.field = field


@dataclass(frozen=True)
class InboundEvent:
    """A verified event from a system, ready for the inbox."""

    system: str
    event_id: str
    event_type: str
    occurred_at: datetime
    payload: Mapping[str, Any]


class WebhookVerifier(Protocol):
    def verify(self, body: bytes, headers: Mapping[str, str], now: datetime) -> InboundEvent:
        """Return the event or raise :class:`WebhookRejected`."""
        ...


class BatchWebhookVerifier(WebhookVerifier, Protocol):
    """A verifier for a system that sends several events in one signed delivery (a JSON
    array): the intake stores each of them."""

    def verify_batch(self, body: bytes, headers: Mapping[str, str], now: datetime
                     ) -> list[InboundEvent]:
        """Every event of the delivery, or raise :class:`WebhookRejected`."""
        ...


@dataclass(frozen=True)
class ChangeBatch:
    events: Sequence[InboundEvent]
    cursor: str | None


class ChangePoller(Protocol):
    def poll(self, cursor: str | None, limit: int) -> ChangeBatch:
        """Changes after ``cursor`` (at most ``limit``) and the cursor to store once handled.
        ``None`` reads from the oldest change the system still has."""
        ...

    def initial_cursor(self) -> str | None:
        """A cursor past every change that exists now: where a stream starts when accord
        first reaches the system, so an installation does not replay the system's history
        (deals won years ago, invoices posted by yesterday's scripts). ``None`` when the
        system holds no change yet."""
        ...


__all__ = [
    "AdapterOptions",
    "BatchWebhookVerifier",
    "ChangeBatch",
    "ChangePoller",
    "ConnectorDefinition",
    "ErrorRule",
    "EventFacts",
    "HttpFailure",
    "InboundEvent",
    "Page",
    "PollSpec",
    "ProbeFixes",
    "ProbeResult",
    "ProbeStatus",
    "ReaderOptions",
    "SetupCheck",
    "WebhookRejected",
    "WebhookVerifier",
    "classify",
    "iterate_pages",
    "probe_failure",
    "statuses",
]
