"""`ferry demo`: everything needed to see ferry work, on one laptop, with no credentials."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ferry.cli.sandbox import run_sandboxes
from ferry.sandboxes import REGISTRY, sandbox_class


def demo(
    seed: Annotated[int, typer.Option(help="Seed for the sandboxes' data.")] = 42,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
) -> None:
    """Start every sandbox with seeded data and show what each serves."""
    specs = [(sandbox_class(n), sandbox_class(n).default_port) for n in REGISTRY]
    footer = [
        "",
        "The sync engine is not part of this build yet: the demo serves the emulated systems.",
        "Try:  curl -s 'http://127.0.0.1:7072/api/v1/customers?pageSize=2' -H 'X-API-Key: tims-sandbox-key'",
    ]
    run_sandboxes(specs, seed=seed, host=host, tls=False, state_dir=Path(".ferry"), footer=footer)
