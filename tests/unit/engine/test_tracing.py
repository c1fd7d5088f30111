"""Spans per settled record and per outbound request, in the SDK's in-memory exporter."""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from typer.testing import CliRunner

from ferry.cli.main import app
from ferry.core import tracing
from ferry.core.errors import ConfigError
from ferry.engine.store import SqliteStore
from ferry.http import HeaderAuth, HttpClient
from ferry.sandboxes.kit.server import running
from ferry.sandboxes.tims import TimsSandbox
from tests.unit.engine.test_runtime import make_engine


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield exporter
    tracing.use(None)


async def test_each_settled_record_is_a_span_with_its_outcome(store: SqliteStore, spans: InMemorySpanExporter) -> None:
    engine, left, _ = make_engine(store)
    left.put({"name": "Company 1"})
    engine.start_workers()
    await engine.pollers[0].poll_once()
    async with asyncio.timeout(10):
        await engine.drain()
    await engine.stop()
    [span] = [s for s in spans.get_finished_spans() if s.name == "settle customers"]
    attributes = dict(span.attributes or {})
    assert attributes["ferry.sync"] == "customers" and attributes["ferry.side"] == "left"
    assert attributes["ferry.outcome"] == "created" and attributes["ferry.record_id"]
    assert engine.settled[("customers", "created")] == 1


async def test_each_request_is_a_span_without_secrets(spans: InMemorySpanExporter) -> None:
    with running(TimsSandbox(sizes={"customers": 2, "sales-orders": 0})) as url:
        http = HttpClient(f"{url}/api/v1", system="TIMS", auth=HeaderAuth("X-API-Key", "tims-sandbox-key"))
        try:
            await http.request("GET", "customers", params={"pageSize": "1"})
            await http.request("GET", "customers", params={"token": "hidden"}, ok={400})
        finally:
            await http.aclose()
    answered, refused = (dict(s.attributes or {}) for s in spans.get_finished_spans())
    assert [s.name for s in spans.get_finished_spans()] == ["GET TIMS", "GET TIMS"]
    assert (answered["http.response.status_code"], refused["http.response.status_code"]) == (200, 400)
    assert answered["http.request.method"] == "GET" and str(answered["url.full"]).endswith("/api/v1/customers")
    assert "hidden" not in str(refused) and "tims-sandbox-key" not in str([answered, refused])


def test_tracing_stays_off_without_an_endpoint_and_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    assert tracing.configure({}) is False and tracing.tracer is None
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    with pytest.raises(ConfigError, match=r"pip install 'ferry\[otel\]'"):
        tracing.configure({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.tracer is None


class _Collector(BaseHTTPRequestHandler):
    """An OTLP/HTTP trace receiver: keeps each export request's body."""

    received: ClassVar[list[tuple[str, bytes]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.received.append((self.path, body))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return None


def test_with_an_endpoint_spans_are_exported_over_otlp_http(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Collector)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    endpoint = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint)
    monkeypatch.setenv("OTEL_SERVICE_NAME", "ferry-test")
    try:
        assert tracing.configure({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint, "OTEL_SERVICE_NAME": "ferry-test"})
        with tracing.span("settle customers", {"ferry.sync": "customers", "ferry.record_id": "a-1"}):
            pass
        tracing.shutdown()  # flushes what is buffered, as `ferry run` does when it stops
    finally:
        tracing.use(None)
        server.shutdown()
        server.server_close()
    [(path, body)] = _Collector.received
    request = ExportTraceServiceRequest.FromString(body)
    [resource] = request.resource_spans
    [span] = resource.scope_spans[0].spans
    names = {a.key: a.value.string_value for a in resource.resource.attributes}
    assert path == "/v1/traces" and names["service.name"] == "ferry-test" and span.name == "settle customers"
    assert {a.key: a.value.string_value for a in span.attributes} == {
        "ferry.sync": "customers",
        "ferry.record_id": "a-1",
    }


def test_ferry_run_with_otel_and_no_packages_stops_with_what_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--otel"])
    assert isinstance(result.exception, ConfigError) and "pip install 'ferry[otel]'" in result.exception.message
    assert tracing.tracer is None
