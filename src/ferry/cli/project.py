"""`ferry init`, `ferry validate` and `ferry project schema`: create, check and describe projects."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from ferry.core.errors import ConfigError
from ferry.project import Report, validate
from ferry.project.schema import reference_markdown, schema_json, update_generated
from ferry.project.templates import init_project, templates

project_app = typer.Typer(help="Describe the project format.", no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)

Directory = Annotated[Path, typer.Argument(help="The project directory.", show_default=True)]


def init(
    directory: Annotated[Path | None, typer.Argument(help="Where to create the project.", show_default=False)] = None,
    template: Annotated[str, typer.Option("--template", "-t", help="The template to start from.")] = "dynamics365-tims",
    force: Annotated[bool, typer.Option("--force", help="Overwrite files of an existing project.")] = False,
    list_templates: Annotated[bool, typer.Option("--list-templates", help="List the templates and exit.")] = False,
) -> None:
    """Create a project from a template, ready to run against the local sandboxes."""
    if list_templates:
        for t in templates():
            out.print(f"{t.name:<20} {escape(t.description)}")
        return
    if directory is None:
        raise ConfigError("Name the directory to create the project in, e.g.: ferry init my-project")
    created = init_project(directory, template, force=force)
    out.print(f"Created a project in {escape(str(directory))} from the template {template}:")
    for path in created.files:
        out.print(f"  {escape(str(path))}")
    if created.vault is not None:
        names = ", ".join(created.template.secrets)
        out.print(
            f"\nStored the sandboxes' default credentials in the vault {escape(str(created.vault.path))}"
            f" (key: {escape(created.vault.key.origin)}): {names}"
        )
        out.print("For real systems, edit the connections in ferry.yaml and replace each secret, e.g.:")
        for name in created.template.secrets:
            out.print(f"  ferry secrets set {escape(str(directory))} {name}")
    out.print(f"\nNext: ferry sandbox all   (in another terminal), then: ferry validate {escape(str(directory))}")


def validate_command(
    directory: Directory = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON, for scripts.")] = False,
) -> None:
    """Check a project: its file, connections, syncs, mapping files and secrets. Exit 2 on any problem."""
    report = validate(directory)
    if as_json:
        typer.echo(json.dumps(_as_json(report), indent=2))
    else:
        _print(report)
    if not report.ok:
        raise typer.Exit(2)


def _print(report: Report) -> None:
    for problem in report.problems:
        out.print(escape(str(problem)))
    for note in report.notes:
        err.print(f"note: {escape(note)}")
    if report.problems:
        count = len(report.problems)
        err.print(f"{count} problem{'s' if count != 1 else ''} in {escape(str(report.root))}")
        return
    assert report.project is not None
    spec = report.project.spec
    out.print(f"{escape(str(report.root))}: project {spec.name} is valid")
    conns = ", ".join(f"{name} ({c.type})" for name, c in spec.connections.items())
    out.print(f"  {len(spec.connections)} connection{'s' if len(spec.connections) != 1 else ''}: {conns}")
    arrows = {"both": "<->", "left_to_right": "->", "right_to_left": "<-"}
    for sync in spec.syncs:
        left, right = sync.left, sync.right
        arrow = arrows[sync.direction.value]
        out.print(f"  sync {sync.name}: {left.connection}.{left.entity} {arrow} {right.connection}.{right.entity}")
    for workflow in spec.workflows:
        out.print(f"  workflow {workflow.name}: {workflow.file}")
    out.print(f"  {len(report.mappings)} mapping file{'s' if len(report.mappings) != 1 else ''}")


def _as_json(report: Report) -> dict[str, object]:
    spec = report.project.spec if report.project is not None else None
    return {
        "ok": report.ok,
        "problems": [asdict(p) for p in report.problems],
        "notes": report.notes,
        "summary": None
        if spec is None
        else {
            "name": spec.name,
            "connections": {name: c.type for name, c in spec.connections.items()},
            "syncs": [s.name for s in spec.syncs],
            "mappings": [str(p) for p in report.mappings],
        },
    }


class SchemaFormat(StrEnum):
    json = "json"
    markdown = "markdown"


@project_app.command("schema")
def schema(
    format: Annotated[SchemaFormat, typer.Option("--format", "-f", help="JSON Schema, or the Markdown reference.")] = (
        SchemaFormat.json
    ),
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Write here instead of printing. A Markdown page with generation markers keeps the rest of its text.",
        ),
    ] = None,
) -> None:
    """Print the schema of ferry.yaml, generated from the same models that check it."""
    text = schema_json() if format is SchemaFormat.json else reference_markdown()
    if output is None:
        typer.echo(text, nl=False)
        return
    if format is SchemaFormat.markdown and output.is_file():
        try:
            text = update_generated(output.read_text(encoding="utf-8"), text)
        except ValueError as exc:
            raise ConfigError(f"{output}: {exc}") from None
    output.write_text(text, encoding="utf-8")
    err.print(f"wrote {escape(str(output))}")
