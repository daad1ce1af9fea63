"""Small in-process receivers the observability tests export to: an OTLP/HTTP trace
collector and a Slack-style incoming-webhook endpoint, each on a free port; and how a test
finds one business event's chain of spans among those collected."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


@dataclass(frozen=True)
class CollectedLink:
    trace_id: str
    span_id: str
    attributes: dict[str, Any]


@dataclass(frozen=True)
class CollectedSpan:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    attributes: dict[str, Any]
    links: tuple[CollectedLink, ...] = ()


@dataclass
class Received:
    spans: list[CollectedSpan] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _value(any_value: Any) -> Any:
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


def _spans(body: bytes) -> list[CollectedSpan]:
    request = ExportTraceServiceRequest()
    request.ParseFromString(body)
    found = []
    for resource in request.resource_spans:
        for scope in resource.scope_spans:
            for span in scope.spans:
                found.append(CollectedSpan(
                    trace_id=span.trace_id.hex(), span_id=span.span_id.hex(),
                    parent_span_id=span.parent_span_id.hex() or None, name=span.name,
                    attributes={a.key: _value(a.value) for a in span.attributes},
                    links=tuple(CollectedLink(
                        link.trace_id.hex(), link.span_id.hex(),
                        {a.key: _value(a.value) for a in link.attributes})
                        for link in span.links)))
    return found


def chain_of(spans: Iterable[CollectedSpan], flow_name: str, step: str,
             key: str | None = None, value: str | None = None) -> list[CollectedSpan]:
    """[intake, flow, step, vendor calls...] of a business event whose flow ``flow_name``
    (with ``key`` = ``value``, when given) has a step ``step`` with vendor calls under it;
    empty while none has all arrived. The intake is the flow's parent (a flow of one event,
    or a batch of one, joins the event's trace), or, for a batch flow of several events, the
    root of an event's own trace that the flow's span links to (the link names the event's
    keys)."""
    found = list(spans)
    by_id = {span.span_id: span for span in found}

    def wanted(attributes: dict[str, Any]) -> bool:
        return key is None or attributes.get(f"accord.key.{key}") == value

    for flow in (s for s in found if s.name == f"flow {flow_name}"):
        parent = by_id.get(flow.parent_span_id or "")
        intakes = [parent] if parent is not None and wanted(flow.attributes) else [
            by_id[link.span_id] for link in flow.links
            if link.span_id in by_id and wanted(link.attributes)]
        for candidate in (s for s in found if s.parent_span_id == flow.span_id
                          and s.name == f"step {step}"):
            calls = [s for s in found if s.parent_span_id == candidate.span_id]
            if intakes and calls:
                return [intakes[0], flow, candidate, *calls]
    return []


@contextmanager
def receiver() -> Iterator[tuple[str, Received]]:
    """``(base URL, what arrived)``: ``POST /v1/traces`` takes OTLP protobuf; any other POST
    a JSON body (a webhook message)."""
    received = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with received.lock:
                received.paths.append(self.path)
                if self.path == "/v1/traces":
                    received.spans.extend(_spans(body))
                    answer = ExportTraceServiceResponse().SerializeToString()
                    content_type = "application/x-protobuf"
                else:
                    received.bodies.append(json.loads(body))
                    answer, content_type = b"ok", "text/plain"
            self.send_response(200)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", received
    finally:
        server.shutdown()
        server.server_close()
