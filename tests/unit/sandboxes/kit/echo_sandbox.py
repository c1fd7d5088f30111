"""A minimal sandbox used to test the toolkit on its own."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from ferry.sandboxes.kit import JSONResponse, Sandbox, dumps


class EchoSandbox(Sandbox):
    name = "echo"
    title = "Echo"
    default_port = 7999
    generatable = ("notes",)

    def routes(self) -> list[BaseRoute]:
        async def notes(request: Request) -> Response:
            if request.method == "POST":
                note_id = self.generate_one("notes")
                return JSONResponse({"id": note_id}, status_code=201)
            return JSONResponse({"notes": list(self.notes)})

        async def boom(request: Request) -> Response:
            raise RuntimeError("a bug")

        return [Route("/notes", notes, methods=["GET", "POST"]), Route("/boom", boom)]

    def seed_state(self, seed: int, sizes: dict[str, int] | None) -> None:
        self.notes = [f"note-{seed}-{n}" for n in range((sizes or {}).get("notes", 3))]
        self.subscribers: list[str] = []

    def credentials(self) -> dict[str, str]:
        return {"api_key": "echo-key"}

    def error_response(self, status: int, message: str, headers: dict[str, str] | None = None) -> Response:
        return JSONResponse({"fault": message, "status": status}, status_code=status, headers=headers)

    def generate_one(self, entity: str) -> str:
        note = f"note-{len(self.notes)}"
        self.notes.append(note)
        for url in self.subscribers:
            self.webhooks.enqueue(url, dumps({"note": note}), topic="note.created", headers={"X-Event": note})
        return note
