from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from ferry.cli.main import app

ACCOUNT = {
    "name": "Acme",
    "emailaddress1": "ap@acme.example",
    "telephone1": "+1 406 555 0100",
    "address1_country": "United States",
    "paymenttermscode": 4,
}


def project(root: Path) -> Path:
    result = CliRunner().invoke(app, ["init", str(root), "--template", "dynamics365-tims"])
    assert result.exit_code == 0, result.output
    sample = root / "account.json"
    sample.write_text(json.dumps(ACCOUNT))
    return sample


def test_suggest_ranks_source_fields_of_a_sample_record_with_the_mappings_lookups(tmp_path: Path) -> None:
    sample = project(tmp_path)
    args = ["mapping", "suggest", str(tmp_path), "customers", "Terms", "--direction", "left_to_right"]
    result = CliRunner().invoke(app, [*args, "--sample", str(sample), "--json"])
    assert result.exit_code == 0, result.output
    [best, *_] = json.loads(result.output)
    assert best["source"] == "paymenttermscode"
    assert best["expression"] == "lookup('payment_terms', paymenttermscode)"


def test_suggest_prints_a_table(tmp_path: Path) -> None:
    sample = project(tmp_path)
    args = ["mapping", "suggest", str(tmp_path), "customers", "ContactEmail", "--direction", "left_to_right"]
    result = CliRunner().invoke(app, [*args, "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert "emailaddress1" in result.output and "Suggestions for ContactEmail" in result.output


def test_a_two_way_sync_needs_a_direction(tmp_path: Path) -> None:
    project(tmp_path)
    result = CliRunner().invoke(app, ["mapping", "suggest", str(tmp_path), "customers", "Email"])
    assert result.exit_code != 0
    assert "goes both ways" in str(result.exception)
