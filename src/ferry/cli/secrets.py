"""`ferry secrets`: the values a project references as ${secret:NAME}, kept encrypted in its vault."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ferry.core.errors import ConfigError
from ferry.vault import Vault, check_name, default_key_file, new_key_text, vault_file

secrets_app = typer.Typer(help="Store, list and remove the secrets of a project (encrypted at rest).")
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

Directory = Annotated[Path, typer.Argument(help="The project directory.")]
Name = Annotated[str, typer.Argument(help="Name of the secret, as in ${secret:NAME}.")]


@secrets_app.command("set")
def set_secret(
    directory: Directory,
    name: Name,
    value_stdin: Annotated[bool, typer.Option("--value-stdin", help="Read the value from standard input.")] = False,
    value: Annotated[
        str | None, typer.Option("--value", help="The value itself (lands in shell history; prefer the prompt).")
    ] = None,
) -> None:
    """Store a secret; the value is asked for without echo unless --value-stdin is given."""
    check_name(name)
    if not directory.is_dir():
        raise ConfigError(f"{directory} is not a directory; create the project first: ferry init {directory}")
    if value is not None and value_stdin:
        raise ConfigError("Give the value with --value or --value-stdin, not both.")
    if value is not None:
        err.print("[yellow]warning:[/] a value given with --value can stay in your shell history; prefer the prompt.")
    elif value_stdin:
        value = sys.stdin.read().removesuffix("\n").removesuffix("\r")
    else:
        value = typer.prompt(f"Value of {name}", hide_input=True, confirmation_prompt=True)
    if not value:
        raise ConfigError(f"The value of the secret '{name}' is empty; nothing stored.")
    had_key = default_key_file(directory).exists()
    vault = Vault.open(directory, create_key=True)
    vault.set(name, value)
    out.print(f"Stored the secret {name} in {escape(str(vault.path))}.")
    if not had_key and default_key_file(directory).exists():
        err.print(
            f"Created the vault key {escape(str(default_key_file(directory)))} (readable by you only). "
            "Keep it out of version control; back it up, or the secrets cannot be read again."
        )


@secrets_app.command("list")
def list_secrets(directory: Directory) -> None:
    """List the names of the stored secrets (never their values)."""
    if not vault_file(directory).exists():
        err.print(f"No secrets stored for {escape(str(directory))}.")
        return
    for name in Vault.open(directory).names():
        out.print(name)


@secrets_app.command("rm")
def remove_secret(directory: Directory, name: Name) -> None:
    """Remove a stored secret."""
    if not vault_file(directory).exists():
        raise ConfigError(f"No secrets stored for {directory}.")
    vault = Vault.open(directory)
    vault.remove(name)
    out.print(f"Removed the secret {name} from {escape(str(vault.path))}.")


@secrets_app.command("new-key")
def new_key() -> None:
    """Print a new random vault key, for FERRY_SECRET_KEY or a key file kept outside the project."""
    typer.echo(new_key_text())
