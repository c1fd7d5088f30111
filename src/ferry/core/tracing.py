"""OpenTelemetry spans when tracing is configured; nothing at all (not even an import) when it is not.

`ferry run` turns tracing on when `OTEL_EXPORTER_OTLP_ENDPOINT` is set or with `--otel`: spans go to
that endpoint over OTLP/HTTP, named by the standard `OTEL_*` variables. The engine opens a span per
record it settles and the HTTP seam one per request; attributes say which sync, side, record,
outcome, connection, method and status, never a body, a header or a query string.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ferry.core.errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.trace import Span, Tracer

#: The tracer spans come from; None while tracing is off (the hot paths check only this).
tracer: Tracer | None = None
_provider: TracerProvider | None = None
INSTALL_HINT = (
    "Tracing (asked for by OTEL_EXPORTER_OTLP_ENDPOINT or --otel) needs OpenTelemetry: pip install 'ferry[otel]', "
    "or unset OTEL_EXPORTER_OTLP_ENDPOINT and drop --otel to run without traces."
)


def use(provider: TracerProvider | None) -> None:
    """Send spans to `provider` (tests pass one with an in-memory exporter); None turns tracing off."""
    global tracer, _provider
    _provider = provider
    tracer = provider.get_tracer("ferry") if provider is not None else None


def configure(environ: Mapping[str, str], *, force: bool = False) -> bool:
    """Export spans over OTLP when the environment names an endpoint (or `force`); say whether it does."""
    if not force and not environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    name = environ.get("OTEL_SERVICE_NAME") or "ferry"
    provider = TracerProvider(resource=Resource.create({"service.name": name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    use(provider)
    return True


def shutdown() -> None:
    """Flush spans still buffered (at the end of `ferry run`)."""
    if _provider is not None:
        _provider.shutdown()
    use(None)


def span(name: str, attributes: Mapping[str, Any]) -> contextlib.AbstractContextManager[Span | None]:
    """A span around a block when tracing is on, else a context that does nothing (and yields None)."""
    if tracer is None:
        return contextlib.nullcontext()
    return tracer.start_as_current_span(name, attributes={k: v for k, v in attributes.items() if v is not None})
