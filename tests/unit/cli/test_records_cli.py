"""`ferry records find` and `ferry records show` on a project's store, run as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from ferry.engine.searchterms import index_entry
from ferry.engine.store import AuditEntry, Link, NewEvent, SqliteStore
from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run.assemble import state_path
from tests.unit.cli.test_cli import ferry

ACCOUNT = "5f1c0e2a-8a53-4b2e-9a41-0c6a1f3f7e11"


async def project_with_a_record(root: Path) -> None:
    init_project(root, "dynamics365-tims")
    store = SqliteStore(state_path(Project.load(root)))
    await store.open()
    try:
        await store.enqueue([NewEvent("customers", "left", ACCOUNT, source="webhook")])
        [claim] = await store.claim(worker="w", limit=1, lease_seconds=30)
        data = {"name": "Contoso Ltd", "accountnumber": "ACC-1001"}
        await store.finish(
            claim,
            link=Link("customers", ACCOUNT, "10016"),
            audit=[
                AuditEntry("customers", "left", ACCOUNT, "created", {"changes": {"CompanyName": "Contoso"}}, "10016")
            ],
            index=[
                index_entry(
                    "customers", "left", ACCOUNT, connection="d365", entity="accounts", data=data, twin_id="10016"
                )
            ],
        )
    finally:
        await store.close()


async def test_find_and_show_print_tables_or_json(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    await project_with_a_record(root)
    table = ferry("records", "find", str(root), "acc-1001")
    found = ferry("records", "find", str(root), "CONTOSO", "--json")
    shown = ferry("records", "show", str(root), "customers", "left", ACCOUNT)
    # An 80-column terminal wraps the cells: look for words, not whole lines.
    assert table.returncode == 0 and all(w in table.stdout for w in ("Contoso", "(ACC-1001)", "d365", "10016"))
    assert [(m["record_id"], m["twin_id"]) for m in json.loads(found.stdout)] == [(ACCOUNT, "10016")]
    assert shown.returncode == 0
    assert "twin: 10016" in shown.stdout  # not settled since search came: the id stands for its label
    assert all(w in shown.stdout for w in ("event", "webhook", "write", "created"))


async def test_mistakes_are_messages_with_a_way_on(tmp_path: Path) -> None:
    root = tmp_path / "acme"
    await project_with_a_record(root)
    nothing = ferry("records", "find", str(root), "nobody")
    unknown = ferry("records", "show", str(root), "customers", "left", "nope")
    side = ferry("records", "show", str(root), "customers", "middle", ACCOUNT)
    blank = ferry("records", "find", str(root), "  ")
    never_ran = ferry("records", "find", str(tmp_path / "other"), "x")
    assert nothing.returncode == 0 and "No record matches 'nobody'" in nothing.stdout
    assert unknown.returncode == 2 and "ferry records find" in unknown.stderr and "Traceback" not in unknown.stderr
    assert side.returncode == 2 and "`left` or `right`" in side.stderr
    assert blank.returncode == 2 and "1 to 200 characters" in blank.stderr
    assert never_ran.returncode != 0 and "Traceback" not in never_ran.stderr
