"""A tiny OTLP/HTTP collector on 127.0.0.1: decodes what exporters post, keeps it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.trace.v1.trace_pb2 import Span


@dataclass
class Received:
    """What the collector got: spans (with their service name) and metric names."""

    url: str
    spans: list[tuple[str, Span]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)

    def span_names(self) -> list[str]:
        return sorted(span.name for _, span in self.spans)


@contextmanager
def otlp_receiver() -> Iterator[Received]:
    """Serve OTLP/HTTP protobuf on a free loopback port while the block runs."""
    received = Received("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            with lock:
                received.paths.append(self.path)
                if self.path == "/v1/traces":
                    request = ExportTraceServiceRequest.FromString(body)
                    for resource in request.resource_spans:
                        service = next(
                            (
                                item.value.string_value
                                for item in resource.resource.attributes
                                if item.key == "service.name"
                            ),
                            "",
                        )
                        for scope in resource.scope_spans:
                            received.spans.extend((service, span) for span in scope.spans)
                elif self.path == "/v1/metrics":
                    metrics = ExportMetricsServiceRequest.FromString(body)
                    for resource_metrics in metrics.resource_metrics:
                        for scope_metrics in resource_metrics.scope_metrics:
                            received.metrics.extend(m.name for m in scope_metrics.metrics)
            self.send_response(200)
            self.send_header("content-type", "application/x-protobuf")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    received.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield received
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
