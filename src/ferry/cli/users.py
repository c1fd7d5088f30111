"""`ferry users`: who may log in to the console or use the control API, with which role."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.table import Table

from ferry.access import ROLES, AccessStore
from ferry.cli.run import _run
from ferry.engine.store import SqliteStore
from ferry.project import Project
from ferry.run.assemble import state_path

users_app = typer.Typer(help="People who may use the console and the control API, and their roles.")
out = Console(soft_wrap=True, highlight=False)

Directory = Annotated[Path, typer.Argument(help="The project directory.")]
UserName = Annotated[str, typer.Argument(help="The user's name (letters, digits, '.', '_', '@', '-').")]
RoleOpt = Annotated[str, typer.Option("--role", help=f"One of {', '.join(ROLES)}.")]
T = TypeVar("T")


def _with_people(directory: Path | Project, work: Callable[[AccessStore], Awaitable[T]]) -> T:
    project = directory if isinstance(directory, Project) else Project.load(directory)

    async def main() -> T:
        store = SqliteStore(state_path(project))
        await store.open(owner=False)  # creates the state file if the project has not run yet
        try:
            return await work(AccessStore(store))
        finally:
            await store.close()

    return _run(main())


def _actor() -> str:
    return f"cli:{getpass.getuser()}"


def _password(stdin: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return value


@users_app.command("add")
def add(
    directory: Directory,
    name: UserName,
    role: RoleOpt = "viewer",
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from stdin.")] = False,
) -> None:
    """Add a person who logs in with a password (asked for without echo)."""
    project = Project.load(directory)  # a wrong directory is said before the password is asked for
    password = _password(password_stdin)

    async def work(people: AccessStore) -> None:
        await people.add_user(name, role, password)
        await people.record(_actor(), None, f"add user {name} as {role}", name, "ok", None)

    _with_people(project, work)
    out.print(f"Added {name} ({role}). They log in at the console (http://127.0.0.1:7070 by default).")


@users_app.command("set")
def change(
    directory: Directory,
    name: UserName,
    role: Annotated[str | None, typer.Option("--role", help=f"New role: {', '.join(ROLES)}.")] = None,
    password: Annotated[bool, typer.Option("--password", help="Set a new password (asked for).")] = False,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the new password from stdin.")] = False,
) -> None:
    """Change a person's role or password (a new password ends their open sessions)."""
    project = Project.load(directory)
    secret = _password(password_stdin) if password or password_stdin else None
    if role is None and secret is None:
        raise typer.BadParameter("Give --role or --password (or both).")

    async def work(people: AccessStore) -> None:
        await people.update_user(name, role=role, password=secret)
        what = " and ".join(x for x in (f"role {role}" if role else "", "password" if secret else "") if x)
        await people.record(_actor(), None, f"set {what} of {name}", name, "ok", None)

    _with_people(project, work)
    out.print(f"Changed {name}.")


@users_app.command("remove")
def remove(directory: Directory, name: UserName) -> None:
    """Remove a person; their sessions and API tokens stop working at once."""

    async def work(people: AccessStore) -> None:
        await people.remove_user(name)
        await people.record(_actor(), None, f"remove user {name}", name, "ok", None)

    _with_people(directory, work)
    out.print(f"Removed {name}.")


@users_app.command("list")
def listing(directory: Directory) -> None:
    """Everyone who may use the console, with their role."""
    users = _with_people(directory, lambda people: people.users())
    if not users:
        out.print(f"No one yet: add an admin with  ferry users add {directory} NAME --role admin")
        return
    table = Table("name", "role", "since", "password")
    for u in users:
        table.add_row(u.name, u.role, u.created_at.strftime("%Y-%m-%d %H:%M UTC"), "yes" if u.has_password else "no")
    out.print(table)


@users_app.command("token")
def token(
    directory: Directory,
    name: UserName,
    label: Annotated[str, typer.Option("--label", help="What it is for (kept with it).")] = "cli",
) -> None:
    """Issue an API token that acts as NAME (for scripts, Prometheus); printed once, keep it secret."""

    async def work(people: AccessStore) -> str:
        issued = await people.issue_token(name, label)
        await people.record(_actor(), None, f"issue API token '{label}' for {name}", name, "ok", None)
        return issued

    typer.echo(_with_people(directory, work))
