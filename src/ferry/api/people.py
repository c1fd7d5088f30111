"""Admin-only: the people who may use the console, their roles and tokens, and the log of what was done."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from ferry.access import AccessStore, User
from ferry.core.errors import ConfigError

RoleName = Literal["viewer", "operator", "admin"]


class UserOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    role: RoleName
    created_at: datetime
    has_password: bool


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="Letters, digits, '.', '_', '@' or '-'.")
    role: RoleName
    password: str = Field(min_length=10, max_length=1024)


class UserChange(BaseModel):
    role: RoleName | None = None
    password: str | None = Field(None, min_length=10, max_length=1024)


class TokenRequest(BaseModel):
    label: str = Field(min_length=1, max_length=100, description="What the token is for (e.g. prometheus).")


class TokenOut(BaseModel):
    token: str = Field(description="Shown this once; send it as 'Authorization: Bearer <token>'.")


class ActionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: str
    remote: str | None


def _out(user: User) -> UserOut:
    return UserOut.model_validate(user)


def people_routes(people: AccessStore) -> APIRouter:
    router = APIRouter(tags=["admin"])

    @router.get("/api/users", response_model=list[UserOut])
    async def users() -> list[UserOut]:
        return [_out(u) for u in await people.users()]

    @router.post("/api/users", response_model=UserOut, status_code=201)
    async def add(body: NewUser) -> UserOut:
        try:
            return _out(await people.add_user(body.name, body.role, body.password))
        except ConfigError as exc:
            raise HTTPException(409 if "already" in exc.message else 422, exc.message) from None

    @router.put("/api/users/{name}", response_model=UserOut)
    async def change(name: str, body: UserChange) -> UserOut:
        current = await _existing(people, name)
        if current.role == "admin" and body.role not in (None, "admin") and await people.admins() == 1:
            raise HTTPException(409, f"{name} is the last admin; make someone else admin first.")
        try:
            return _out(await people.update_user(name, role=body.role, password=body.password))
        except ConfigError as exc:
            raise HTTPException(422, exc.message) from None

    @router.delete("/api/users/{name}", status_code=204)
    async def remove(name: str) -> None:
        current = await _existing(people, name)
        if current.role == "admin" and await people.admins() == 1:
            raise HTTPException(409, f"{name} is the last admin; make someone else admin first.")
        await people.remove_user(name)

    @router.post("/api/users/{name}/tokens", response_model=TokenOut, status_code=201)
    async def token(name: str, body: TokenRequest) -> TokenOut:
        await _existing(people, name)
        return TokenOut(token=await people.issue_token(name, body.label))

    @router.get("/api/actions", response_model=list[ActionOut])
    async def actions(limit: int = Query(200, ge=1, le=2000), actor: str | None = None) -> list[ActionOut]:
        return [
            ActionOut(
                id=a.id,
                at=a.at,
                actor=a.actor,
                role=a.role,
                action=a.action,
                target=a.target,
                outcome=a.outcome,
                remote=a.remote,
            )
            for a in await people.actions(limit=limit, actor=actor)
        ]

    return router


async def _existing(people: AccessStore, name: str) -> User:
    user = await people.user(name)
    if user is None:
        raise HTTPException(404, f"There is no user '{name}'.")
    return user
