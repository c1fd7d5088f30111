"""Entry point of the `ferry` command: sub-commands, and errors shown as messages, never tracebacks."""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from ferry import __version__
from ferry.cli.alerts import alerts_app
from ferry.cli.api import api
from ferry.cli.demo import demo
from ferry.cli.mapping import mapping_app
from ferry.cli.project import init, project_app, validate_command
from ferry.cli.reconcile import reconcile
from ferry.cli.records import records_app
from ferry.cli.reviews import reviews_app
from ferry.cli.run import dlq_app, run, status, sync
from ferry.cli.sandbox import sandbox_app
from ferry.cli.secrets import secrets_app
from ferry.cli.users import users_app
from ferry.cli.workflows import workflow_app
from ferry.core.errors import FerryError

app = typer.Typer(
    name="ferry",
    help="ferry keeps business systems in step: Dynamics 365, TIMS, SAP S/4HANA, Kashflow, Dynamics AX, storefronts.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(sandbox_app, name="sandbox")
app.command()(demo)
app.command()(init)
app.command("validate")(validate_command)
app.add_typer(secrets_app, name="secrets")
app.add_typer(project_app, name="project")
app.command()(run)
app.command()(sync)
app.command()(status)
app.add_typer(dlq_app, name="dlq")
app.add_typer(reviews_app, name="reviews")
app.command()(reconcile)
app.add_typer(workflow_app, name="workflow")
app.add_typer(records_app, name="records")
app.add_typer(alerts_app, name="alerts")
app.add_typer(users_app, name="users")
app.command()(api)
app.add_typer(mapping_app, name="mapping")


@app.command()
def version() -> None:
    """Print ferry's version."""
    typer.echo(__version__)


def main() -> None:
    """Run the CLI; usage errors are Typer's, ferry's own failures become a message and an exit code."""
    err = Console(stderr=True)
    try:
        app()
    except FerryError as exc:
        err.print(f"[bold red]error:[/] {exc.message}")
        sys.exit(exc.exit_code)
    except Exception as exc:  # a bug: say so plainly, without a traceback
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}")
        err.print("Please report this at the project's issue tracker, with the command you ran.")
        sys.exit(70)


if __name__ == "__main__":
    main()
