"""The `/_sandbox/` control surface common to every sandbox (`specs/sandbox-control.md`)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ferry.sandboxes.kit.bodies import BodyError, JSONResponse, parse_json_object, read_body
from ferry.sandboxes.kit.faults import FaultSettings

if TYPE_CHECKING:
    from ferry.sandboxes.kit.base import Sandbox


class ResetRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    seed: int | None = Field(None, description="Seed for the new data set; the current seed if absent.")
    sizes: dict[str, int] | None = Field(None, description="Number of records per entity, e.g. {'accounts': 50}.")


class GenerateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    entity: str
    count: int = Field(1, ge=1, le=100_000)
    per_second: float | None = Field(None, gt=0, description="Pace; as fast as possible if absent.")
    wait: bool = Field(False, description="Answer only when every record exists, with their ids.")


def _problem(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _body(request: Request) -> dict[str, Any]:
    raw = await read_body(request, 1024 * 1024)
    return parse_json_object(raw) if raw.strip() else {}


def control_routes(sandbox: Sandbox) -> list[BaseRoute]:
    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "system": sandbox.name})

    async def credentials(request: Request) -> Response:
        return JSONResponse({**sandbox.credentials(), "base_url": sandbox.base_url})

    async def stats(request: Request) -> Response:
        return JSONResponse(sandbox.stats.snapshot())

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(sandbox.faults.settings.model_dump())
        if request.method == "DELETE":
            sandbox.faults.clear(sandbox.seed)
            sandbox.on_faults_changed()
            return JSONResponse(sandbox.faults.settings.model_dump())
        try:
            changes = FaultSettings.model_validate(await _body(request))
        except BodyError as exc:
            return _problem(exc.status, exc.message)
        except PydanticValidationError as exc:
            return _problem(400, _explain(exc))
        settings = sandbox.faults.update(changes, changes.model_fields_set)
        sandbox.on_faults_changed()
        return JSONResponse(settings.model_dump())

    async def reset(request: Request) -> Response:
        try:
            body = ResetRequest.model_validate(await _body(request))
        except BodyError as exc:
            return _problem(exc.status, exc.message)
        except PydanticValidationError as exc:
            return _problem(400, _explain(exc))
        sandbox.reset(body.seed, body.sizes)
        return JSONResponse({"status": "reset", "seed": sandbox.seed})

    async def generate(request: Request) -> Response:
        try:
            body = GenerateRequest.model_validate(await _body(request))
        except BodyError as exc:
            return _problem(exc.status, exc.message)
        except PydanticValidationError as exc:
            return _problem(400, _explain(exc))
        if body.entity not in sandbox.generatable:
            known = ", ".join(sandbox.generatable) or "none"
            return _problem(400, f"Cannot generate {body.entity!r}; this sandbox generates: {known}.")
        if body.wait:
            ids = await _generate(sandbox, body)
            return JSONResponse({"entity": body.entity, "count": len(ids), "ids": ids})
        task = asyncio.get_running_loop().create_task(_generate(sandbox, body))
        sandbox.generator_tasks.add(task)
        task.add_done_callback(sandbox.generator_tasks.discard)
        return JSONResponse(
            {"entity": body.entity, "count": body.count, "per_second": body.per_second}, status_code=202
        )

    async def webhooks(request: Request) -> Response:
        return JSONResponse({"deliveries": [d.summary() for d in sandbox.webhooks.recent]})

    return [
        Route("/_sandbox/health", health, methods=["GET"]),
        Route("/_sandbox/credentials", credentials, methods=["GET"]),
        Route("/_sandbox/stats", stats, methods=["GET"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/generate", generate, methods=["POST"]),
        Route("/_sandbox/webhooks", webhooks, methods=["GET"]),
    ]


async def _generate(sandbox: Sandbox, body: GenerateRequest) -> list[str]:
    ids: list[str] = []
    interval = 1 / body.per_second if body.per_second else 0.0
    loop = asyncio.get_running_loop()
    start = loop.time()
    for n in range(body.count):
        if interval:
            # Pace against the start time so slow iterations do not stretch the whole run.
            await asyncio.sleep(max(0.0, start + n * interval - loop.time()))
        with sandbox.lock:
            ids.append(sandbox.generate_one(body.entity))
        if not interval and n % 50 == 49:
            await asyncio.sleep(0)
    return ids


def _explain(exc: PydanticValidationError) -> str:
    parts = []
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"]) or "body"
        parts.append(f"{where}: {error['msg']}")
    return "; ".join(parts)
