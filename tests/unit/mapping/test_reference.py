"""docs/mapping.md and schema.json are generated from the spec and the registry; they must be current."""

from pathlib import Path

from ferry.mapping.reference import SCHEMA_FILE, regenerate, schema_text

ROOT = Path(__file__).parents[3]
FIX = "run: .venv/bin/python -m ferry.mapping.reference --write"


def test_the_reference_page_is_up_to_date() -> None:
    page = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    assert regenerate(page) == page, f"docs/mapping.md is out of date; {FIX}"


def test_the_json_schema_is_up_to_date() -> None:
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), f"schema.json is out of date; {FIX}"


def test_every_generated_section_is_on_the_page() -> None:
    page = (ROOT / "docs" / "mapping.md").read_text(encoding="utf-8")
    for name in ("format", "grammar", "operators", "context", "functions", "templates", "erp-example"):
        assert f"<!-- BEGIN GENERATED: {name} -->" in page


def test_regenerating_replaces_a_stale_section() -> None:
    stale = "intro\n<!-- BEGIN GENERATED: context -->\nold\n<!-- END GENERATED: context -->\noutro\n"
    fresh = regenerate(stale)
    assert "old" not in fresh
    assert "`context.source_id`" in fresh
    assert fresh.startswith("intro\n") and fresh.endswith("outro\n")
