from __future__ import annotations

import asyncio

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from ferry.sandboxes.kit import ConnectionDropped
from tests.unit.sandboxes.kit.echo_sandbox import EchoSandbox


def client_for(app: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://echo.test")  # type: ignore[arg-type]


async def test_control_health_and_credentials_name_the_system() -> None:
    async with client_for(EchoSandbox()) as c:
        assert (await c.get("/_sandbox/health")).json() == {"status": "ok", "system": "echo"}
        creds = (await c.get("/_sandbox/credentials")).json()
    assert creds == {"api_key": "echo-key", "base_url": "http://127.0.0.1:7999"}


async def test_stats_count_requests_by_route_and_status() -> None:
    async with client_for(EchoSandbox()) as c:
        await c.get("/notes")
        await c.post("/notes")
        await c.get("/missing")
        stats = (await c.get("/_sandbox/stats")).json()
    assert stats["requests"] == 3
    assert stats["writes"] == 1
    assert stats["by_status"] == {"200": 1, "201": 1, "404": 1}
    assert stats["by_route"]["POST /notes"] == 1


async def test_error_next_fails_exactly_that_many_requests_in_the_system_shape() -> None:
    async with client_for(EchoSandbox()) as c:
        r = await c.post("/_sandbox/faults", json={"error_next": 2, "error_status": 503})
        assert r.status_code == 200
        statuses = [(await c.get("/notes")).status_code for _ in range(3)]
        failed = await c.post("/_sandbox/faults", json={"error_next": 1, "error_status": 502})
        body = (await c.get("/notes")).json()
    assert statuses == [503, 503, 200]
    assert failed.json()["error_status"] == 502
    assert body == {"fault": "Bad gateway.", "status": 502}


async def test_faults_with_unknown_field_are_refused_with_the_reason() -> None:
    async with client_for(EchoSandbox()) as c:
        r = await c.post("/_sandbox/faults", json={"error_rat": 0.5})
        bad_json = await c.post("/_sandbox/faults", content=b"{nope")
    assert r.status_code == 400
    assert "error_rat" in r.json()["error"]
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["error"]


async def test_path_prefix_limits_faults_to_matching_paths() -> None:
    async with client_for(EchoSandbox()) as c:
        await c.post("/_sandbox/faults", json={"error_rate": 1.0, "path_prefix": "/other"})
        assert (await c.get("/notes")).status_code == 200


async def test_dropped_connection_reaches_the_client_as_a_protocol_error() -> None:
    async with client_for(EchoSandbox()) as c:
        await c.post("/_sandbox/faults", json={"drop_connections_rate": 1.0})
        with pytest.raises(httpx.RemoteProtocolError):
            await c.get("/notes")
        await c.delete("/_sandbox/faults")
        assert (await c.get("/notes")).status_code == 200
    assert issubclass(ConnectionDropped, httpx.TransportError)


async def test_an_unexpected_failure_answers_500_in_the_system_shape_without_a_traceback() -> None:
    async with client_for(EchoSandbox()) as c:
        r = await c.get("/boom")
    assert r.status_code == 500
    assert r.json() == {"fault": "An unexpected error occurred in the sandbox.", "status": 500}
    assert "Traceback" not in r.text


async def test_reset_restores_the_seeded_state_for_a_new_seed() -> None:
    sandbox = EchoSandbox()
    async with client_for(sandbox) as c:
        await c.post("/notes")
        r = await c.post("/_sandbox/reset", json={"seed": 7, "sizes": {"notes": 2}})
        notes = (await c.get("/notes")).json()["notes"]
    assert r.json() == {"status": "reset", "seed": 7}
    assert notes == ["note-7-0", "note-7-1"]


async def test_generate_with_wait_returns_the_new_ids_and_refuses_unknown_entities() -> None:
    async with client_for(EchoSandbox()) as c:
        r = await c.post("/_sandbox/generate", json={"entity": "notes", "count": 2, "wait": True})
        bad = await c.post("/_sandbox/generate", json={"entity": "orders", "count": 1})
    assert r.json() == {"entity": "notes", "count": 2, "ids": ["note-3", "note-4"]}
    assert bad.status_code == 400
    assert "notes" in bad.json()["error"]


async def test_webhooks_retry_until_delivered_and_keep_event_headers() -> None:
    seen: list[tuple[str, str]] = []

    async def receiver(request: Request) -> Response:
        seen.append((request.headers["x-event"], (await request.body()).decode()))
        return Response(status_code=500 if len(seen) < 3 else 204)

    from starlette.applications import Starlette
    from starlette.routing import Route

    hook_app = Starlette(routes=[Route("/hook", receiver, methods=["POST"])])
    sandbox = EchoSandbox(webhook_transport=httpx.ASGITransport(app=hook_app), webhook_retry_delays=[0, 0, 0])
    sandbox.subscribers.append("http://receiver.test/hook")
    async with client_for(sandbox) as c:
        await c.post("/notes")
        async with asyncio.timeout(5):
            await sandbox.webhooks.wait_idle()
        stats = (await c.get("/_sandbox/stats")).json()
        deliveries = (await c.get("/_sandbox/webhooks")).json()["deliveries"]
    assert seen == [("note-3", '{"note":"note-3"}')] * 3
    assert stats["webhooks"] == {"sent": 1, "failed": 2, "dropped": 0}
    assert deliveries[0]["state"] == "delivered"
    assert deliveries[0]["attempts"] == 3


async def test_webhook_duplicate_fault_delivers_the_same_event_twice() -> None:
    bodies: list[bytes] = []

    async def receiver(request: Request) -> Response:
        bodies.append(await request.body())
        return Response(status_code=200)

    from starlette.applications import Starlette
    from starlette.routing import Route

    hook_app = Starlette(routes=[Route("/hook", receiver, methods=["POST"])])
    sandbox = EchoSandbox(webhook_transport=httpx.ASGITransport(app=hook_app))
    sandbox.subscribers.append("http://receiver.test/hook")
    async with client_for(sandbox) as c:
        await c.post("/_sandbox/faults", json={"webhook_duplicate_rate": 1.0})
        await c.post("/notes")
        async with asyncio.timeout(5):
            await sandbox.webhooks.wait_idle()
    assert bodies == [b'{"note":"note-3"}', b'{"note":"note-3"}']


def test_dropped_connection_over_a_real_socket_truncates_the_response() -> None:
    from ferry.sandboxes.kit.server import running

    sandbox = EchoSandbox()
    with running(sandbox) as base_url, httpx.Client(base_url=base_url) as client:
        client.post("/_sandbox/faults", json={"drop_connections_rate": 1.0})
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/notes")
        client.delete("/_sandbox/faults")
        assert client.get("/notes").status_code == 200
