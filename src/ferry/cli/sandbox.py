"""`ferry sandbox NAME|all|list`: run the emulated systems."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ferry.core.errors import ConfigError
from ferry.sandboxes import REGISTRY, sandbox_class
from ferry.sandboxes.kit.base import Sandbox
from ferry.sandboxes.kit.server import bind, public_host, serve
from ferry.sandboxes.kit.tls import TLSFiles, ensure_tls_files

sandbox_app = typer.Typer(help="Run emulators of the systems ferry connects (no credentials needed).")
console = Console(soft_wrap=True)

Seed = Annotated[int, typer.Option(help="Seed for the generated data set; the same seed gives the same data.")]
Host = Annotated[str, typer.Option(help="Interface to listen on.")]
Tls = Annotated[bool, typer.Option("--tls/--no-tls", help="Serve HTTPS with a locally generated certificate.")]
StateDir = Annotated[Path, typer.Option(help="Where the local CA and certificates are kept.")]


@sandbox_app.command("list")
def list_sandboxes() -> None:
    """List the sandboxes and their default ports."""
    for name in REGISTRY:
        cls = sandbox_class(name)
        console.print(f"{name:<14} port {cls.default_port}  {cls.title}")


def _make_command(name: str) -> None:
    def command(
        port: Annotated[int | None, typer.Option(help="Port to listen on (default: the sandbox's own).")] = None,
        seed: Seed = 42,
        host: Host = "127.0.0.1",
        tls: Tls = False,
        state_dir: StateDir = Path(".ferry"),
    ) -> None:
        cls = sandbox_class(name)
        run_sandboxes([(cls, port or cls.default_port)], seed=seed, host=host, tls=tls, state_dir=state_dir)

    cls_title = REGISTRY[name]
    command.__doc__ = f"Run the {name} sandbox ({cls_title.split(':')[1]})."
    sandbox_app.command(name)(command)


for _name in REGISTRY:
    _make_command(_name)


@sandbox_app.command("all")
def run_all(
    seed: Seed = 42,
    host: Host = "127.0.0.1",
    tls: Tls = False,
    state_dir: StateDir = Path(".ferry"),
) -> None:
    """Run every sandbox in one process, each on its default port."""
    specs = [(sandbox_class(n), sandbox_class(n).default_port) for n in REGISTRY]
    run_sandboxes(specs, seed=seed, host=host, tls=tls, state_dir=state_dir)


def run_sandboxes(
    specs: list[tuple[type[Sandbox], int]],
    *,
    seed: int,
    host: str,
    tls: bool,
    state_dir: Path,
    footer: list[str] | None = None,
) -> None:
    """Bind every port first (so a clash fails before anything starts), then serve until Ctrl-C."""
    tls_files: TLSFiles | None = ensure_tls_files(state_dir / "tls") if tls else None
    scheme = "https" if tls else "http"
    sockets = []
    for cls, port in specs:
        try:
            sockets.append(bind(host, port))
        except OSError as exc:
            for s in sockets:
                s.close()
            raise ConfigError(
                f"Cannot listen on {host}:{port} for the {cls.name} sandbox ({exc.strerror}). "
                "Stop whatever uses that port, or pick another with --port."
            ) from None
    sandboxes = [cls(seed=seed, base_url=f"{scheme}://{public_host(host)}:{port}") for cls, port in specs]
    for sb in sandboxes:
        print_banner(sb)
    if tls_files:
        console.print(f"[dim]TLS: clients should trust {tls_files.ca_cert}[/]")
    for line in footer or []:
        console.print(line)
    console.print("[dim]Press Ctrl-C to stop.[/]")
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(sandboxes, sockets, tls=tls_files))


def print_banner(sandbox: Sandbox) -> None:
    console.print(f"[bold green]{sandbox.title}[/] sandbox at [bold]{sandbox.base_url}[/]")
    for line in sandbox.banner():
        console.print(f"  {line}")
    creds = {k: v for k, v in sandbox.credentials().items() if v}
    if creds:
        console.print("  credentials: " + ", ".join(f"{k}={v}" for k, v in creds.items()))
    console.print(f"  control:     {sandbox.base_url}/_sandbox/ (health, credentials, stats, faults, reset, generate)")
