"""The operations endpoints of a running project, scraped over real HTTP: /metrics, connections, overview."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from ferry.access import AccessStore
from tests.e2e.conftest import Systems, live, quiet


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


async def test_a_running_project_reports_metrics_health_and_charts(tmp_path: Path, systems: Systems) -> None:
    async with live(tmp_path / "project", systems) as h:
        assert h.runner is not None
        await quiet(h)
        people = AccessStore(h.assembly.store)
        await people.add_user("prometheus", "viewer", "a scraper's long password")
        token = await people.issue_token("prometheus", "scrape")
        async with httpx.AsyncClient(base_url=h.runner.listen.url) as anonymous:
            refused = await anonymous.get("/metrics")
        async with httpx.AsyncClient(base_url=h.runner.listen.url, headers={"Authorization": f"Bearer {token}"}) as api:
            scraped = await api.get("/metrics")
            connections = (await api.get("/api/connections")).json()
            overview = (await api.get("/api/overview", params={"window": "hour"})).json()
            wrong = await api.get("/api/overview", params={"window": "year"})
            one = (await api.get("/api/overview", params={"window": "week", "flow": "customers"})).json()
            unknown = await api.get("/api/overview", params={"flow": "nope"})

    assert refused.status_code == 401  # a viewer's API token is needed, as for every read
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    found = samples(scraped.text)
    settled = {labels: n for (name, labels), n in found.items() if name == "ferry_records_processed_total"}
    assert sum(n for labels, n in settled.items() if ("flow", "customers") in labels) >= 25
    assert found[("ferry_http_requests_total", (("connection", "tims"), ("status_class", "2xx")))] > 0
    assert found[("ferry_http_requests_total", (("connection", "d365"), ("status_class", "2xx")))] > 0
    assert found[("ferry_circuit_state", (("connection", "tims"), ("state", "closed")))] == 1
    assert found[("ferry_pending", (("flow", "customers"),))] == 0
    assert found[("ferry_dead_letters_open", (("flow", "customers"),))] == 0

    tims = next(c for c in connections if c["connection"] == "tims")
    assert tims["auth"] == "ok" and tims["auth_ok_at"] is not None and tims["auth_error"] is None
    assert tims["requests"] > 0 and tims["by_status_class"]["2xx"] > 0
    assert tims["rate_limit"]["rate_per_second"] == 400 and tims["rate_limit"]["tokens"] <= 400
    assert "x-ratelimit-remaining" in tims["rate_limit"]["headers"]  # TIMS's own count of what is left
    assert "tims-sandbox-key" not in str(connections)

    flow = next(f for f in overview["flows"] if f["name"] == "customers")
    assert (overview["bucket_seconds"], len(flow["buckets"])) == (60, 60)
    assert flow["kind"] == "sync" and flow["totals"]["processed"] >= 25 and flow["totals"]["failed"] == 0
    assert flow["totals"]["pending"] is not None  # the runner sampled the queue as it started
    assert wrong.status_code == 422 and "hour | day | week" in wrong.json()["detail"]
    assert [f["name"] for f in one["flows"]] == ["customers"] and len(one["flows"][0]["buckets"]) == 84
    assert unknown.status_code == 404 and "customers" in unknown.json()["detail"]
