"""The health, overview and metrics endpoints over one store (the running app is tested end to end)."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from ferry.api.health import Telemetry
from ferry.engine.breaker import CircuitBreaker
from ferry.engine.store import NewEvent, SqliteStore
from ferry.http.limits import TokenBucket
from ferry.http.stats import ConnectionStats
from tests.unit.api.clients import api_client


def telemetry() -> tuple[dict[str, CircuitBreaker], Telemetry]:
    erp = ConnectionStats("erp", clock=lambda: 1_800_000_000.0)
    erp.buckets.append(TokenBucket(10, burst=5))
    erp.answered(200, {"x-ratelimit-remaining": "7", "content-type": "json"}, authenticated=True)
    erp.answered(401, {}, authenticated=True)
    erp.failed("TIMS answered 401: key rejected")
    erp.auth_failed("TIMS answered 401: key rejected (api_key=abc123)")
    erp.answered(429, {}, authenticated=True)
    breakers = {"erp": CircuitBreaker(), "crm": CircuitBreaker()}
    breakers["erp"].pause("credentials refused")
    flows = {"customers": "sync", "order-to-cash": "workflow"}
    return breakers, Telemetry({"erp": erp}, flows, {("customers", "created"): 4, ("customers", "dead"): 1})  # type: ignore[arg-type]


async def test_connections_show_auth_traffic_and_headroom(store: SqliteStore) -> None:
    breakers, observed = telemetry()
    async with await api_client(store, "viewer", breakers=breakers, telemetry=observed) as c:
        crm, erp = (await c.get("/api/connections")).json()
    assert (crm["connection"], crm["auth"], crm["requests"], crm["rate_limit"]["tokens"]) == ("crm", "unknown", 0, None)
    assert (erp["circuit"], erp["paused_reason"], erp["auth"]) == ("open", "credentials refused", "failing")
    assert erp["auth_ok_at"].startswith("2027-01-15") and "abc123" not in erp["auth_error"]
    assert (erp["requests"], erp["by_status_class"], erp["throttled"], erp["errors"]) == (3, {"2xx": 1, "4xx": 2}, 1, 1)
    assert erp["rate_limit"]["headers"] == {"x-ratelimit-remaining": "7"}
    assert (erp["rate_limit"]["rate_per_second"], erp["rate_limit"]["burst"]) == (10, 5)
    assert erp["last_error"] == "TIMS answered 401: key rejected"


async def test_metrics_read_the_store_at_each_scrape(store: SqliteStore) -> None:
    await store.enqueue([NewEvent("customers", "left", "a", version="1"), NewEvent("customers", "left", "b")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    letter = await store.dead_letter(claim, error_class="ValidationError", error="bad", payload=None)
    await store.runs.start("order-to-cash", "o-1", "o-1", None)
    breakers, observed = telemetry()
    async with await api_client(store, "viewer", breakers=breakers, telemetry=observed) as c:
        text = (await c.get("/metrics")).text
        await store.resolve_dead_letter(letter, state="dropped", reason="test")
        again = (await c.get("/metrics")).text
    found = {
        (s.name, tuple(sorted(s.labels.values()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }
    assert found[("ferry_records_processed_total", ("created", "customers"))] == 4
    assert found[("ferry_dead_letters_total", ("customers",))] == 1
    assert found[("ferry_dead_letters_open", ("customers",))] == 1
    assert found[("ferry_pending", ("customers",))] == 1 and found[("ferry_lag_seconds", ("customers",))] >= 0
    assert found[("ferry_pending", ("order-to-cash",))] == 1
    assert found[("ferry_workflow_runs", ("order-to-cash", "pending"))] == 1
    assert found[("ferry_http_requests_total", ("4xx", "erp"))] == 2
    assert found[("ferry_http_throttled_total", ("erp",))] == 1
    assert (
        found[("ferry_circuit_state", ("erp", "open"))] == 1 and found[("ferry_circuit_state", ("closed", "crm"))] == 1
    )
    assert found[("ferry_connection_auth_ok", ("erp",))] == 0
    assert found[("ferry_reviews_open", ("customers",))] == 0
    assert 'ferry_dead_letters_open{flow="customers"} 0.0' in again  # no drift: the store is read again
