"""`ferry mapping test`: run a project's mappings over sample records (its test files, or live records read
from a source connection) and show per record the input, the output and any failure. Nothing is written."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console, Group
from rich.markup import escape
from rich.panel import Panel
from rich.pretty import Pretty
from rich.syntax import Syntax
from rich.table import Table

from ferry import mapping as mapping_language
from ferry.cli.mapping_suggest import suggest_command
from ferry.core import jsoncodec
from ferry.core.errors import ConfigError
from ferry.core.problems import Problem, ProblemsError
from ferry.mapping.cases import CaseFile, find_test_files, load_cases
from ferry.mapping.testrun import Outcome, run_file
from ferry.project import Project, Sync
from ferry.run.preview import LiveRecord, LiveSource, read_live, sources

mapping_app = typer.Typer(help="Work with a project's mappings.", no_args_is_help=True)
mapping_app.command("suggest")(suggest_command)
out = Console(soft_wrap=True, highlight=False)
err = Console(stderr=True, soft_wrap=True, highlight=False)


@mapping_app.command("test")
def test_command(
    directory: Annotated[Path, typer.Argument(help="The project directory.")] = Path("."),
    flow: Annotated[str | None, typer.Argument(help="Only the mappings of this sync.", show_default=False)] = None,
    live: Annotated[
        str | None,
        typer.Option(
            "--live",
            metavar="CONNECTION:ENTITY[:N]",
            help="Map N (default 5) records read now from this source, instead of the test files. Writes nothing.",
            show_default=False,
        ),
    ] = None,
    from_source: Annotated[
        bool, typer.Option("--from-source", help="Map 5 records read now from each sync's source sides.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON, for scripts and CI.")] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show every case in full, not only failures.")] = (
        False
    ),
) -> None:
    """Run the mappings over the samples in mappings/tests/ (see docs/mapping.md, "Testing a mapping").
    Exit 1 when a case is not as it expects, 2 when a test file or the project has a problem."""
    if live is not None or from_source:
        _live(directory, flow, live, as_json)
        return
    files, problems = _case_files(directory, flow)
    outcomes: list[Outcome] = []
    for cases in files:
        mapping, found = _load_mapping(directory, cases.mapping)
        if mapping is None:
            problems += found
            continue
        outcomes += run_file(mapping, cases)
    if as_json:
        typer.echo(_json({"ok": not problems and all(o.passed for o in outcomes), **_report(outcomes, problems)}))
    else:
        _print(outcomes, problems, verbose)
    if problems:
        raise typer.Exit(2)
    if not all(o.passed for o in outcomes):
        raise typer.Exit(1)


def _case_files(root: Path, flow: str | None) -> tuple[list[CaseFile], list[Problem]]:
    if not root.is_dir():
        raise ConfigError(f"{root} is not a directory: give the project directory")
    wanted = None if flow is None else set(_sync_mappings(_project(root).sync(flow)))
    files: list[CaseFile] = []
    problems: list[Problem] = []
    for path in find_test_files(root):
        cases, found = load_cases(path, root)
        problems += found
        if cases is not None and (wanted is None or cases.mapping in wanted):
            files.append(cases)
    if not files and not problems:
        where = f"for the sync {flow!r} " if flow else ""
        raise ConfigError(
            f"no mapping tests {where}in {root / 'mappings' / 'tests'}: add one per mapping, "
            "e.g. mappings/tests/account-to-customer.yaml (see docs/mapping.md, 'Testing a mapping')"
        )
    return files, problems


def _project(root: Path) -> Project:
    return Project.load(root)


def _sync_mappings(sync: Sync) -> list[Path]:
    return [Path(p) for p in (sync.map.left_to_right, sync.map.right_to_left) if p]


def _load_mapping(root: Path, relative: Path) -> tuple[mapping_language.Mapping | None, list[Problem]]:
    try:
        return mapping_language.load(root / relative), []
    except ProblemsError as exc:
        return None, exc.problems


def _report(outcomes: list[Outcome], problems: list[Problem]) -> dict[str, Any]:
    return {
        "problems": [
            {"message": p.message, "file": p.file, "line": p.line, "column": p.column, "hint": p.hint} for p in problems
        ],
        "passed": sum(o.passed for o in outcomes),
        "failed": sum(not o.passed for o in outcomes),
        "cases": [
            {
                "file": o.case.file,
                "line": o.case.line,
                "mapping": o.mapping,
                "case": o.case.name,
                "passed": o.passed,
                "input": o.case.input,
                "output": o.output,
                "failure": o.failure,
                "skipped": o.skipped,
                "differences": o.differences,
            }
            for o in outcomes
        ],
    }


def _json(value: Any) -> str:
    return jsoncodec.dumps(value).decode()  # money stays an exact number


def _print(outcomes: list[Outcome], problems: list[Problem], verbose: bool) -> None:
    for problem in problems:
        err.print(f"[bold red]problem:[/] {escape(str(problem))}")
    if outcomes:
        table = Table(title="Mapping tests", title_justify="left")
        for column in ("mapping", "case", "result", "where"):
            table.add_column(column)
        for o in outcomes:
            result = "[green]pass[/]" if o.passed else "[bold red]FAIL[/]"
            table.add_row(escape(o.mapping), escape(o.case.name), result, escape(f"{o.case.file}:{o.case.line}"))
        out.print(table)
    for o in outcomes:
        if verbose or not o.passed:
            shown = {**o.failure, "": f"skipped: {o.skipped}"} if o.skipped else o.failure
            out.print(_panel(o.case.name, o.mapping, o.case.input, o.output, shown, o.differences, o.passed))
    failed = sum(not o.passed for o in outcomes)
    summary = f"{len(outcomes) - failed} passed, {failed} failed"
    if problems:
        summary += f", {len(problems)} problem{'s' if len(problems) != 1 else ''} in the test files"
    (err if failed or problems else out).print(summary)


def _panel(
    title: str,
    mapping: str,
    record: dict[str, Any],
    output: dict[str, Any] | None,
    failure: dict[str, str],
    differences: list[str],
    passed: bool,
) -> Panel:
    parts: list[Any] = ["[bold]input[/]", _shown(record), "[bold]output[/]", _shown(output)]
    if failure:
        table = Table("target field", "reason", show_edge=False)
        for path, reason in failure.items():
            table.add_row(escape(path or "(the record)"), escape(reason))
        parts += ["[bold]failure[/]", table]
    if differences:
        parts += ["[bold red]not as expected[/]", *(f"  - {escape(d)}" for d in differences)]
    style = "green" if passed else "red"
    return Panel(Group(*parts), title=escape(f"{mapping}: {title}"), title_align="left", border_style=style)


def _shown(value: Any) -> Syntax | Pretty:
    try:
        text = orjson.dumps(value, default=_exact, option=orjson.OPT_INDENT_2).decode()
    except TypeError:
        return Pretty(value)
    return Syntax(text, "json", theme="ansi_dark", background_color="default", word_wrap=True)


def _exact(value: Any) -> Any:
    if isinstance(value, Decimal):  # money as written, 129.9950: neither a float nor Decimal('129.9950')
        return orjson.Fragment(format(value, "f").encode())
    raise TypeError(type(value).__name__)


def _live(root: Path, flow: str | None, live: str | None, as_json: bool) -> None:
    project = _project(root)
    chosen = sources(project, flow, live)
    records = asyncio.run(read_live(project, chosen))
    if as_json:
        typer.echo(_json({"ok": True, "records": [_live_json(r) for r in records]}))
        return
    if not records:
        out.print("the source has no records to map")
    for r in records:
        title = f"{r.source.connection}.{r.source.entity} {r.record_id} (sync {r.source.sync})"
        out.print(_panel(title, r.mapping, r.input, r.output, r.failure, [], not r.failure))
    failed = sum(bool(r.failure) for r in records)
    out.print(f"{len(records)} record{'s' if len(records) != 1 else ''} mapped, {failed} failed; nothing was written")


def _live_json(r: LiveRecord) -> dict[str, Any]:
    source: LiveSource = r.source
    return {
        "sync": source.sync,
        "connection": source.connection,
        "entity": source.entity,
        "mapping": r.mapping,
        "id": r.record_id,
        "input": r.input,
        "output": r.output,
        "failure": r.failure,
    }
