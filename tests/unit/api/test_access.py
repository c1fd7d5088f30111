"""Login, roles, CSRF, the trusted-header mode and the actions log, over the whole control API."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI

from ferry.access import AccessPolicy, AccessStore
from ferry.api import control_app
from ferry.console import mount_console
from ferry.engine.store import NewEvent, SqliteStore
from ferry.project.models import ConsoleAccess
from tests.unit.api.clients import PASSWORD, token_for

PUBLIC = {("GET", "/api/health"), ("POST", "/api/session")}
#: Routes that check the caller themselves, for any role (who am I, log out).
ANY_ROLE = {("GET", "/api/session"), ("DELETE", "/api/session")}
ADMIN_PREFIXES = ("/api/users", "/api/actions", "/api/secrets", "/api/connections/{name}/")


def app_for(store: SqliteStore, settings: ConsoleAccess | None = None) -> FastAPI:
    access = AccessPolicy(AccessStore(store), settings, secure_cookies=True)
    app = control_app(store, access=access)
    mount_console(app, access, project="acme")
    return app


def client(app: FastAPI, host: str = "127.0.0.1", **headers: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="https://ferry.test", headers=headers)


def endpoints(app: FastAPI) -> list[tuple[str, str]]:
    """Every API operation, from the OpenAPI description (which every API route is in)."""
    paths = app.openapi()["paths"]
    return [(m.upper(), p) for p, ops in paths.items() if p.startswith("/api/") for m in ops]


def concrete(path: str) -> str:
    """A URL for a route path: numbers for ids, a plain word for names."""
    return re.sub(r"\{[^}]+\}", lambda m: "1" if "id" in m.group(0) else "x", path)


ADMIN_OPERATIONS = {("PUT", "/api/flows/{name}/designer")}


def needed(method: str, path: str) -> str | None:
    if (method, path) in PUBLIC:
        return None
    if (method, path) in ADMIN_OPERATIONS:
        return "admin"
    if (method, path) in ANY_ROLE:
        return "viewer"
    if path.startswith(ADMIN_PREFIXES):
        return "admin"
    return "viewer" if method == "GET" else "operator"


async def test_every_endpoint_refuses_the_anonymous_and_the_roles_below_what_it_needs(store: SqliteStore) -> None:
    app = app_for(store)
    routes = endpoints(app)
    assert len(routes) >= 15  # the route table was read, not an empty list
    tokens = {role: await token_for(store, role) for role in ("viewer", "operator", "admin")}
    rank = ["viewer", "operator", "admin"]
    async with client(app) as c:
        for method, path in routes:
            need = needed(method, path)
            url = concrete(path)
            anonymous = await c.request(method, url, json={})
            if need is None:
                assert anonymous.status_code not in (401, 403), (method, path)
                continue
            assert anonymous.status_code == 401, (method, path, anonymous.text)
            assert "Log in" in anonymous.json()["detail"]
            for role, token in tokens.items():
                answer = await c.request(method, url, json={}, headers={"Authorization": f"Bearer {token}"})
                if rank.index(role) < rank.index(need):
                    assert answer.status_code == 403, (role, method, path, answer.text)
                    # (a change of the project is refused for the operator role first, then the admin one)
                    assert "needs the" in answer.json()["detail"] and "role" in answer.json()["detail"]
                else:
                    assert answer.status_code not in (401, 403), (role, method, path, answer.text)


async def test_a_wrong_token_is_told_apart_from_no_token(store: SqliteStore) -> None:
    async with client(app_for(store), authorization="Bearer ferry_not-a-token") as c:
        answer = await c.get("/api/syncs")
    assert answer.status_code == 401 and "not valid" in answer.json()["detail"]


async def log_in(c: httpx.AsyncClient, store: SqliteStore, role: str = "operator") -> httpx.Response:
    await AccessStore(store).add_user("ann", role, PASSWORD)
    answer = await c.post("/api/session", json={"name": "ann", "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return answer


async def test_a_session_cookie_is_httponly_secure_and_samesite_and_changes_need_its_csrf_token(
    store: SqliteStore,
) -> None:
    await store.enqueue([NewEvent("customers", "left", "a", version="1")])
    [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
    letter = await store.dead_letter(claim, error_class="ValidationError", error="bad", payload={})
    async with client(app_for(store)) as c:
        logged_in = await log_in(c, store)
        csrf = logged_in.json()["csrf"]
        cookie = logged_in.headers["set-cookie"].lower()
        assert cookie.startswith("ferry_session=") and "; httponly" in cookie and "; secure" in cookie
        assert "; samesite=lax" in cookie
        assert (await c.get("/api/syncs")).status_code == 200
        without = await c.post(f"/api/dead-letters/{letter}/replay")
        cross_site = await c.post(
            f"/api/dead-letters/{letter}/replay", headers={"X-CSRF-Token": csrf, "Origin": "https://evil.example"}
        )
        # nothing was replayed by the refused calls:
        assert (await store.dead_letter_by_id(letter)).state == "open"  # type: ignore[union-attr]
        with_token = await c.post(f"/api/dead-letters/{letter}/replay", headers={"X-CSRF-Token": csrf})
        me = (await c.get("/api/session")).json()
        logged_out = await c.delete("/api/session", headers={"X-CSRF-Token": csrf})
        after = await c.get("/api/syncs")
    assert without.status_code == 403 and "CSRF" in without.json()["detail"]
    assert cross_site.status_code == 403 and "another site" in cross_site.json()["detail"]
    assert with_token.status_code == 200
    assert (me["name"], me["role"], me["via"]) == ("ann", "operator", "session")
    assert logged_out.status_code == 204 and after.status_code == 401


async def test_wrong_passwords_are_refused_alike_and_throttled(store: SqliteStore) -> None:
    await AccessStore(store).add_user("ann", "viewer", PASSWORD)
    async with client(app_for(store)) as c:
        unknown = await c.post("/api/session", json={"name": "bob", "password": PASSWORD})
        wrong = [await c.post("/api/session", json={"name": "ann", "password": "nope"}) for _ in range(5)]
        throttled = await c.post("/api/session", json={"name": "ann", "password": PASSWORD})
        empty = await c.post("/api/session", json={"name": "", "password": ""})
    assert unknown.status_code == 401 and unknown.json() == wrong[0].json()
    assert all(w.status_code == 401 for w in wrong)
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) > 0
    assert empty.status_code == 422
    log = await AccessStore(store).actions()
    assert [a.outcome for a in log][:2] == ["refused (429)", "refused (401)"]


async def test_changes_are_logged_with_who_made_them(store: SqliteStore) -> None:
    token = await token_for(store, "admin")
    async with client(app_for(store), authorization=f"Bearer {token}") as c:
        added = await c.post("/api/users", json={"name": "bo", "role": "viewer", "password": PASSWORD})
        short = await c.post("/api/users", json={"name": "cy", "role": "viewer", "password": "short"})
        again = await c.post("/api/users", json={"name": "bo", "role": "viewer", "password": PASSWORD})
        promoted = await c.put("/api/users/bo", json={"role": "operator"})
        log = (await c.get("/api/actions")).json()
    assert (added.status_code, short.status_code, again.status_code, promoted.json()["role"]) == (
        201,
        422,
        409,
        "operator",
    )
    assert [(a["actor"], a["action"], a["outcome"]) for a in log][:2] == [
        ("test-admin", "PUT /api/users/bo", "ok"),
        ("test-admin", "POST /api/users", "refused (409)"),
    ]


async def test_the_last_admin_cannot_be_removed_or_demoted(store: SqliteStore) -> None:
    token = await token_for(store, "admin")
    async with client(app_for(store), authorization=f"Bearer {token}") as c:
        demoted = await c.put("/api/users/test-admin", json={"role": "viewer"})
        removed = await c.delete("/api/users/test-admin")
        missing = await c.delete("/api/users/nobody")
    assert demoted.status_code == removed.status_code == 409 and "last admin" in removed.json()["detail"]
    assert missing.status_code == 404


async def test_a_trusted_proxy_names_the_user_and_others_are_not_believed(store: SqliteStore) -> None:
    settings = ConsoleAccess(login="header", role_header="X-Role", trusted_proxies=["127.0.0.1"])
    app = app_for(store, settings)
    async with client(app, **{"X-Forwarded-User": "dee", "X-Role": "operator"}) as c:
        me = (await c.get("/api/session")).json()
        no_csrf = await c.post("/api/dead-letters/1/replay")
        with_csrf = await c.post("/api/dead-letters/1/replay", headers={"X-CSRF-Token": me["csrf"]})
    async with client(app, host="10.1.2.3", **{"X-Forwarded-User": "dee", "X-Role": "admin"}) as c:
        spoofed = await c.get("/api/syncs")
    assert (me["name"], me["role"], me["via"]) == ("dee", "operator", "header")
    assert no_csrf.status_code == 403
    assert with_csrf.status_code == 404  # past the access checks: there is no dead letter 1
    assert spoofed.status_code == 401


async def test_console_pages_send_the_anonymous_to_login_and_keep_admin_pages_for_admins(store: SqliteStore) -> None:
    app = app_for(store)
    async with client(app) as c:
        anonymous = await c.get("/dead-letters?sync=customers")
        login = await c.get("/login")
        static = await c.get("/static/console.js")
        await log_in(c, store, role="viewer")
        login_after = await c.get("/login")
        overview = await c.get("/")
        admin = await c.get("/admin")
    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/login?next=/dead-letters%3Fsync%3Dcustomers"
    assert "No one can log in yet" in login.text and "ferry users add . NAME --role admin" in login.text
    assert "No one can log in yet" not in login_after.text and "Log in" in login_after.text
    assert static.status_code == 200 and "ferry.api" in static.text
    assert overview.status_code == 200 and 'x-data="overview"' in overview.text
    assert "script-src 'self'" in overview.headers["content-security-policy"]
    assert 'href="/admin"' not in overview.text  # a viewer is not shown the admin page
    assert admin.status_code == 403 and "needs the admin role" in admin.text


@pytest.mark.parametrize("name", ["", "a b", "x" * 65, "-lead"])
async def test_user_names_are_checked(store: SqliteStore, name: str) -> None:
    from ferry.core.errors import ConfigError

    with pytest.raises(ConfigError, match="not a valid user name"):
        await AccessStore(store).add_user(name, "viewer", PASSWORD)
