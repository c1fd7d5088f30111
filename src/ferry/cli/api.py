"""`ferry api`: call any control API endpoint of a running ferry, as scripts and other machines do."""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer

from ferry.core.errors import ConfigError, FerryError

DEFAULT_SERVER = "http://127.0.0.1:7070"


def api(
    method: Annotated[str, typer.Argument(help="GET, POST, PUT or DELETE.")],
    path: Annotated[str, typer.Argument(help="The endpoint, e.g. /api/syncs (the list: /api/docs).")],
    data: Annotated[str | None, typer.Option("--data", "-d", help="A JSON request body.")] = None,
    server: Annotated[
        str, typer.Option(envvar="FERRY_SERVER", help="Where ferry runs.", show_default=True)
    ] = DEFAULT_SERVER,
    token: Annotated[
        str | None,
        typer.Option(envvar="FERRY_TOKEN", help="An API token from `ferry users token` (or set FERRY_TOKEN)."),
    ] = None,
) -> None:
    """Call the control API with an API token and print its JSON answer (exit 1 when it refuses)."""
    method = method.upper()
    if method not in ("GET", "POST", "PUT", "DELETE"):
        raise ConfigError(f"'{method}' is not a method the API takes: use GET, POST, PUT or DELETE.")
    if not path.startswith("/"):
        raise ConfigError(f"The path must start with '/', like /api/syncs (got '{path}').")
    body: Any = None
    if data is not None:
        try:
            body = json.loads(data)
        except json.JSONDecodeError as exc:
            raise ConfigError(f"--data is not valid JSON ({exc.msg} at character {exc.pos}).") from None
    if token is None:
        raise ConfigError("Give an API token with --token or FERRY_TOKEN; get one with `ferry users token DIR NAME`.")
    try:
        answer = httpx.request(
            method,
            server.rstrip("/") + path,
            json=body,
            headers={"Authorization": f"Bearer {token}"},
            timeout=60,
        )
    except httpx.TransportError as exc:
        raise FerryError(f"No ferry answers at {server} ({exc}); is `ferry run` running there?") from None
    try:
        shown: Any = answer.json()
    except ValueError:
        shown = answer.text
    typer.echo(json.dumps(shown, indent=2) if not isinstance(shown, str) else shown)
    if answer.status_code >= 400:
        raise typer.Exit(1)
