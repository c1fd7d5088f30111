"""`GET /metrics`: the Prometheus text format, read from the store and the engine at each scrape.

A custom collector builds every family from a snapshot taken for that scrape (the store's counts,
the HTTP seam's stats, the breakers), so nothing is kept twice and nothing can drift from the store.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ferry.api.health import Telemetry
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store.series import Sample
from ferry.engine.store.sqlite import SqliteStore

CIRCUIT_STATES = ("closed", "half-open", "open")
RUN_STATES = ("pending", "running", "waiting", "held", "completed", "failed", "compensated", "cancelled")


@dataclass(frozen=True)
class Snapshot:
    totals: dict[str, dict[str, int]]
    current: list[Sample]
    breakers: Mapping[str, CircuitBreaker]
    telemetry: Telemetry


class SnapshotCollector(Collector):
    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot

    def collect(self) -> Iterator[Metric]:
        yield from self._records()
        yield from self._queues()
        yield from self._http()
        yield from self._circuits()

    def _records(self) -> Iterator[Metric]:
        s = self.snapshot
        processed = CounterMetricFamily(
            "ferry_records_processed", "Records settled since ferry started, by outcome.", labels=["flow", "outcome"]
        )
        for (flow, outcome), n in sorted(s.telemetry.settled.items()):
            processed.add_metric([flow, outcome], n)
        yield processed
        settled = CounterMetricFamily(
            "ferry_events_settled", "Changes settled, as the store keeps them: done or dead.", labels=["flow", "state"]
        )
        letters = CounterMetricFamily("ferry_dead_letters", "Dead letters ever written.", labels=["flow"])
        runs = GaugeMetricFamily("ferry_workflow_runs", "Workflow runs by state.", labels=["workflow", "state"])
        reviews = GaugeMetricFamily("ferry_reviews_open", "Conflicts waiting for a person.", labels=["flow"])
        for flow, counts in sorted(s.totals.items()):
            for state in ("done", "dead"):
                if f"events_{state}" in counts:
                    settled.add_metric([flow, state], counts[f"events_{state}"])
            if written := sum(n for k, n in counts.items() if k.startswith("dead_letters_")):
                letters.add_metric([flow], written)
            if any(k.startswith("runs_") for k in counts):
                for state in RUN_STATES:
                    runs.add_metric([flow, state], counts.get(f"runs_{state}", 0))
            reviews.add_metric([flow], counts.get("reviews_open", 0))
        yield from (settled, letters, runs, reviews)

    def _queues(self) -> Iterator[Metric]:
        pending = GaugeMetricFamily("ferry_pending", "Changes or runs waiting to be processed.", labels=["flow"])
        in_flight = GaugeMetricFamily("ferry_in_flight", "Changes or runs being processed now.", labels=["flow"])
        lag = GaugeMetricFamily("ferry_lag_seconds", "Age of the oldest unprocessed change.", labels=["flow"])
        dead = GaugeMetricFamily("ferry_dead_letters_open", "Dead letters waiting for replay or drop.", labels=["flow"])
        for sample in self.snapshot.current:
            pending.add_metric([sample.flow], sample.pending)
            in_flight.add_metric([sample.flow], sample.in_flight)
            lag.add_metric([sample.flow], sample.lag_seconds)
            dead.add_metric([sample.flow], sample.dead_letters)
        yield from (pending, in_flight, lag, dead)

    def _http(self) -> Iterator[Metric]:
        requests = CounterMetricFamily(
            "ferry_http_requests",
            "Requests to each connection, by answer class.",
            labels=["connection", "status_class"],
        )
        throttled = CounterMetricFamily("ferry_http_throttled", "429 answers.", labels=["connection"])
        errors = CounterMetricFamily("ferry_http_errors", "Requests that failed.", labels=["connection"])
        auth = GaugeMetricFamily("ferry_connection_auth_ok", "1 while the credentials work.", labels=["connection"])
        tokens = GaugeMetricFamily(
            "ferry_rate_limit_tokens", "Requests the client-side limit lets out now.", labels=["connection"]
        )
        for name, stats in sorted(self.snapshot.telemetry.http.items()):
            for status_class, n in sorted(stats.by_class.items()):
                requests.add_metric([name, status_class], n)
            throttled.add_metric([name], stats.throttled)
            errors.add_metric([name], stats.errors)
            auth.add_metric([name], 0 if stats.auth_state == "failing" else 1)
            if stats.buckets:
                tokens.add_metric([name], stats.buckets[0].available())
        yield from (requests, throttled, errors, auth, tokens)

    def _circuits(self) -> Iterator[Metric]:
        circuit = GaugeMetricFamily(
            "ferry_circuit_state", "1 for each connection's current breaker state.", labels=["connection", "state"]
        )
        for name, breaker in sorted(self.snapshot.breakers.items()):
            now = breaker.state
            for state in CIRCUIT_STATES:
                circuit.add_metric([name, state], 1 if state == now else 0)
        yield circuit


def metrics_routes(store: SqliteStore, breakers: Mapping[str, CircuitBreaker], telemetry: Telemetry) -> APIRouter:
    router = APIRouter()
    flows = frozenset(telemetry.flows)

    @router.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        snapshot = Snapshot(await store.series.totals(), await store.series.current(flows), breakers, telemetry)
        registry = CollectorRegistry(auto_describe=False)
        registry.register(SnapshotCollector(snapshot))
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    return router
