"""Traces: one per business event, from its intake to every flow step and vendor call.

* **Intake.** A webhook delivery or a polled change opens a root span
  (:func:`intake_span`); its W3C ``traceparent`` is stored with the inbox row (the
  CloudEvents distributed-tracing extension attribute), and handed to the flow in its
  :class:`~accord.engine.flow.FlowInput`, so the flow - and any retry, recovery or replay of
  it, which DBOS runs with the same input - joins the event's trace.
* **Flow and steps.** The engine opens a span per flow run (:func:`flow_span`) and per step
  (:func:`step_span`), with the correlation id and the business keys as attributes; a
  step's retries are span events.
* **Vendor calls.** OpenTelemetry's instrumentation of ``httpx`` and ``requests`` (the HTTP
  clients the connectors and the vendors' libraries use) makes each HTTP request a child of
  the step that sent it, with the step's system as its ``accord.system``. Query strings
  are cut from the recorded URLs (they can carry names); an HTTP call outside any trace (a
  health probe) is not recorded.

Spans are exported in batches by a background thread: to accord's database
(:mod:`accord.observability.spanstore`) by default, and by OTLP/HTTP when
``[observability] otlp_endpoint`` is set. :func:`configure` may be called again (tests
start many deployments in one process): the process keeps one tracer provider and swaps
its exporters.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import (
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
)
from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

from accord.observability.settings import ObservabilitySettings
from accord.observability.spanstore import (
    CORRELATION_ATTRIBUTE,
    SYSTEM_ATTRIBUTE,
    DatabaseSpanExporter,
)

log = logging.getLogger(__name__)
flow_log = logging.getLogger("accord.flows")
"""One line per flow run (finished or failed) and per step retry, inside the trace."""

TRACER = "accord"
KEY_PREFIX = "accord.key."
FLOW_ATTRIBUTE = "accord.flow"
STEP_ATTRIBUTE = "accord.step"
WORKFLOW_ATTRIBUTE = "accord.workflow_id"
_propagator = TraceContextTextMapPropagator()


class _RootSampler(Sampler):
    """Root spans of accord's own kinds are kept; an HTTP client call outside any trace (a
    readiness probe, a poll's page read outside an intake) is dropped."""

    def should_sample(self, parent_context: otel_context.Context | None, trace_id: int,
                      name: str, kind: SpanKind | None = None,
                      attributes: Attributes = None, links: Sequence[Any] | None = None,
                      trace_state: Any = None) -> SamplingResult:
        if kind is SpanKind.CLIENT:
            return SamplingResult(Decision.DROP)
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes)

    def get_description(self) -> str:
        return "accord root spans"


class _Switch(SpanProcessor):
    """Delegates to the processors of the current configuration."""

    def __init__(self) -> None:
        self._processors: list[SpanProcessor] = []
        self._lock = threading.Lock()

    def replace(self, processors: list[SpanProcessor]) -> None:
        with self._lock:
            old, self._processors = self._processors, processors
        for processor in old:
            processor.shutdown()  # flushes what it holds

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        for processor in self._processors:
            processor.on_start(span, parent_context)

    def on_end(self, span: ReadableSpan) -> None:
        for processor in self._processors:
            processor.on_end(span)

    def shutdown(self) -> None:
        self.replace([])

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return all(processor.force_flush(timeout_millis) for processor in self._processors)


class _CallerSystem(SpanProcessor):
    """A vendor HTTP call is named by the system its step calls: the client span takes the
    ``accord.system`` of the span it runs under (the step), so the local store, the console
    and an OTLP backend can group calls by system without reading URLs."""

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        if span.kind is not SpanKind.CLIENT:
            return
        parent = trace.get_current_span(parent_context)
        system = (getattr(parent, "attributes", None) or {}).get(SYSTEM_ATTRIBUTE)
        if isinstance(system, str) and system:
            span.set_attribute(SYSTEM_ATTRIBUTE, system)

    def on_end(self, span: ReadableSpan) -> None:
        pass

    def shutdown(self) -> None:
        pass

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


_switch = _Switch()
_provider: TracerProvider | None = None
_setup_lock = threading.Lock()


def _clean_url(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))


def _strip_query(span: Any) -> None:
    """Record vendor URLs without their query strings (a SOQL query can name a person)."""
    if span is None or not span.is_recording():
        return
    for key in ("http.url", "url.full"):
        value = getattr(span, "attributes", {}).get(key)
        if isinstance(value, str):
            span.set_attribute(key, _clean_url(value))


def _requests_hook(span: Any, _request: Any, *_rest: Any) -> None:
    _strip_query(span)


def _httpx_hook(span: Any, *_rest: Any) -> None:
    _strip_query(span)


def _instrument(provider: TracerProvider) -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.requests import RequestsInstrumentor

    RequestsInstrumentor().instrument(tracer_provider=provider, request_hook=_requests_hook,
                                      response_hook=_requests_hook)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider, request_hook=_httpx_hook,
                                         response_hook=_httpx_hook)


def provider() -> TracerProvider:
    """This process's tracer provider (created, made global and the HTTP clients
    instrumented on first use)."""
    global _provider
    with _setup_lock:
        if _provider is None:
            created = TracerProvider(resource=Resource.create({"service.name": TRACER}),
                                     sampler=ParentBased(root=_RootSampler()))
            created.add_span_processor(_CallerSystem())
            created.add_span_processor(_switch)
            trace.set_tracer_provider(created)
            _instrument(created)
            _provider = created
        return _provider


def configure(database_url: str | None, settings: ObservabilitySettings) -> None:
    """Export this process's spans as ``settings`` says: into the database at
    ``database_url`` (``local_traces``) and/or to ``otlp_endpoint``."""
    provider()
    processors: list[SpanProcessor] = []
    delay = settings.export_interval_ms
    if settings.local_traces and database_url:
        processors.append(BatchSpanProcessor(DatabaseSpanExporter(database_url),
                                             schedule_delay_millis=delay))
    if settings.otlp_endpoint:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processors.append(BatchSpanProcessor(
            OTLPSpanExporter(endpoint=settings.otlp_endpoint,
                             headers=dict(settings.otlp_headers) or None),
            schedule_delay_millis=delay))
    _switch.replace(processors)


def flush(timeout_ms: int = 10_000) -> bool:
    """Export every finished span now (tests; a process about to stop)."""
    return _switch.force_flush(timeout_ms)


def tracer() -> Tracer:
    return provider().get_tracer(TRACER)


def traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, None outside a recorded trace."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


def context_of(value: str | None) -> otel_context.Context | None:
    """The trace context a stored ``traceparent`` names (None when absent or malformed)."""
    if not value:
        return None
    found = _propagator.extract({"traceparent": value})
    span = trace.get_current_span(found)
    return found if span.get_span_context().is_valid else None


@dataclass(frozen=True)
class LinkedEvent:
    """One event of a batch flow run, as its span links to the event's trace."""

    traceparent: str | None
    correlation_id: str
    keys: Mapping[str, str]


def _key_attributes(keys: Mapping[str, str]) -> dict[str, str]:
    return {f"{KEY_PREFIX}{name}": str(value) for name, value in keys.items()}


@contextmanager
def intake_span(system: str, event_type: str, correlation_id: str) -> Iterator[Any]:
    """The root span of one inbound event's trace (a new trace, whatever is current)."""
    with tracer().start_as_current_span(
            f"intake {system} {event_type}", context=otel_context.Context(),
            kind=SpanKind.CONSUMER, record_exception=False, set_status_on_exception=False,
            attributes={SYSTEM_ATTRIBUTE: system, "accord.event_type": event_type,
                        CORRELATION_ATTRIBUTE: correlation_id}) as span:
        yield span


@contextmanager
def flow_span(flow: str, correlation_id: str, keys: Mapping[str, str],
              parent: str | None, workflow_id: str | None,
              linked: Sequence[LinkedEvent] = ()) -> Iterator[Any]:
    """A flow run's span: a child of the event's trace when ``parent`` (its stored
    traceparent) is given, else a new trace. A batch flow's span links to the traces of
    its events (``linked``), each link carrying the event's correlation id and keys."""
    attributes: dict[str, Any] = {FLOW_ATTRIBUTE: flow, CORRELATION_ATTRIBUTE: correlation_id,
                                  **_key_attributes(keys)}
    if workflow_id:
        attributes[WORKFLOW_ATTRIBUTE] = workflow_id
    links = [trace.Link(trace.get_current_span(found).get_span_context(),
                        {CORRELATION_ATTRIBUTE: event.correlation_id,
                         **_key_attributes(event.keys)})
             for event in linked if (found := context_of(event.traceparent)) is not None]
    with _started(f"flow {flow}", context_of(parent) or otel_context.Context(),
                  attributes, links) as span:
        began = time.perf_counter()
        facts: dict[str, Any] = {"flow": flow, "workflow_id": workflow_id, "keys": dict(keys)}
        try:
            yield span
        except BaseException as error:
            facts["error_code"] = str(getattr(error, "code", None) or type(error).__name__)
            facts["duration_ms"] = round((time.perf_counter() - began) * 1000)
            flow_log.warning("flow failed", extra=facts)
            raise
        facts["duration_ms"] = round((time.perf_counter() - began) * 1000)
        flow_log.info("flow finished", extra=facts)


@contextmanager
def step_span(step: str, system: str, action: str, correlation_id: str) -> Iterator[Any]:
    """A step's span (its vendor calls are its children)."""
    with _started(f"step {step}", None,
                  {STEP_ATTRIBUTE: step, SYSTEM_ATTRIBUTE: system, "accord.action": action,
                   CORRELATION_ATTRIBUTE: correlation_id}) as span:
        yield span


def mark_failed(span: Any, code: str) -> None:
    """An error status naming the error's code only: messages can carry record data."""
    if span is not None and span.is_recording():
        span.set_attribute("accord.error_code", code)
        span.set_status(Status(StatusCode.ERROR, code))


@contextmanager
def _started(name: str, context: otel_context.Context | None,
             attributes: dict[str, Any], links: Sequence[trace.Link] = ()) -> Iterator[Any]:
    """A current span that records an escaping error by its type, never its message."""
    with tracer().start_as_current_span(name, context=context, kind=SpanKind.INTERNAL,
                                        attributes=attributes, links=list(links),
                                        record_exception=False,
                                        set_status_on_exception=False) as span:
        try:
            yield span
        except BaseException as error:
            status = getattr(span, "status", None)
            if status is None or status.status_code is StatusCode.UNSET:
                mark_failed(span, str(getattr(error, "code", None) or type(error).__name__))
            raise


def note_retry(span: Any, attempt: int, code: str, wait: float) -> None:
    """A step's attempt failed and will be retried after ``wait`` seconds."""
    flow_log.info("step retrying", extra={"attempt": attempt, "error_code": code,
                                          "wait_seconds": round(wait, 3)})
    if span is not None and span.is_recording():
        span.add_event("retry", {"attempt": attempt, "error_code": code,
                                 "wait_seconds": round(wait, 3)})


__all__ = ["KEY_PREFIX", "LinkedEvent", "configure", "context_of", "flow_span", "flush",
           "intake_span", "mark_failed", "note_retry", "provider", "step_span", "traceparent",
           "tracer"]
