from __future__ import annotations

from pathlib import Path

from ferry.project import Project
from ferry.project.templates import init_project
from ferry.run import assemble


async def test_dataverse_reads_only_the_columns_the_sync_uses(tmp_path: Path) -> None:
    init_project(tmp_path / "p", "dynamics365-tims")
    assembly = await assemble(Project.load(tmp_path / "p"))
    try:
        customers = next(s for s in assembly.syncs if s.name == "customers")
        accounts = customers.left.options
        # What the outgoing mapping reads, what the incoming one writes, and the match fields...
        assert {"name", "address1_composite", "creditlimit", "emailaddress1"} <= set(accounts["select"])
        # ...but not a column nothing uses, nor a lookup read through its expansion or a bind.
        assert "description" not in accounts["select"]
        assert "primarycontactid" not in accounts["select"]
        assert not any("@" in c for c in accounts["select"])
        # ...and the fields the side names for record search.
        assert "accountnumber" in accounts["select"]
        assert accounts["expand"]["primarycontactid"] == [
            "emailaddress1",
            "firstname",
            "fullname",
            "lastname",
            "telephone1",
        ]
        assert accounts["expand"]["transactioncurrencyid"] == ["isocurrencycode"]
        assert accounts["filter"] == "customertypecode eq 3"  # the project's own options are kept
        assert "select" not in customers.right.options  # TIMS cannot choose columns
    finally:
        await assembly.aclose()


async def test_each_template_sync_selects_what_its_mappings_name(tmp_path: Path) -> None:
    init_project(tmp_path / "p", "dynamics365-tims")
    assembly = await assemble(Project.load(tmp_path / "p"))
    try:
        syncs = {s.name: s for s in assembly.syncs}
        products = syncs["products"].left.options
        assert {"productnumber", "name", "price", "statecode"} <= set(products["select"])
        assert products["expand"] == {"defaultuomid": ["name"], "transactioncurrencyid": ["isocurrencycode"]}
        assert "customertypecode" in syncs["vendors"].left.options["select"]
    finally:
        await assembly.aclose()
