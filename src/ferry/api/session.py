"""Logging in and out of the console: `POST /api/session` sets the session cookie, `DELETE` ends it."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from ferry.access import AccessPolicy
from ferry.access.people import SESSION_SECONDS
from ferry.access.policy import SESSION_COOKIE


class LoginRequest(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class SessionOut(BaseModel):
    name: str
    role: str
    via: str = Field(description="session (logged in), token (API token) or header (reverse proxy).")
    csrf: str | None = Field(description="Send it as X-CSRF-Token with every change made from a browser.")


def session_routes(access: AccessPolicy) -> APIRouter:
    router = APIRouter(tags=["session"])

    @router.post("/api/session", response_model=SessionOut)
    async def log_in(body: LoginRequest, request: Request, response: Response) -> SessionOut:
        remote = request.client.host if request.client else "?"
        try:
            token, session = await access.log_in(remote, body.name, body.password)
        except HTTPException as refused:
            await access.people.record(body.name, None, "log in", None, f"refused ({refused.status_code})", remote)
            raise
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=SESSION_SECONDS,
            httponly=True,
            secure=access.secure_cookies,
            samesite="lax",
            path="/",
        )
        await access.people.record(session.user.name, session.user.role, "log in", None, "ok", remote)
        return SessionOut(name=session.user.name, role=session.user.role, via="session", csrf=session.csrf)

    @router.get("/api/session", response_model=SessionOut)
    async def who(request: Request) -> SessionOut:
        principal = await access.authorize(request)
        return SessionOut(name=principal.name, role=principal.role, via=principal.via, csrf=principal.csrf)

    @router.delete("/api/session", status_code=204)
    async def log_out(request: Request) -> Response:
        await access.authorize(request, "viewer")  # a logged-in browser's own CSRF token is needed
        if (cookie := request.cookies.get(SESSION_COOKIE)) is not None:
            await access.people.close_session(cookie)
        out = Response(status_code=204)
        out.delete_cookie(SESSION_COOKIE, path="/", httponly=True, secure=access.secure_cookies, samesite="lax")
        return out

    return router
