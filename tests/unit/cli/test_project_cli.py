from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ferry.cli.main import app
from ferry.project.schema import schema_json
from ferry.project.templates import load_template
from ferry.vault import Vault

# The sandbox's webhook secret is spelt like its name in the vault, so it cannot be searched for.
SANDBOX_VALUES = ("ferry-dataverse-sandbox-secret", "tims-sandbox-key")


# Until the template's mapping files are written, the template cannot validate clean.
pending_mappings = pytest.mark.skipif(
    not (load_template("dynamics365-tims").path / "mappings").is_dir(), reason="template mappings not written yet"
)


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FERRY_SECRET_KEY", raising=False)
    monkeypatch.delenv("FERRY_SECRET_KEY_FILE", raising=False)


def ferry(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """The real entry point, so exit codes and streams are what a user gets."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FERRY_SECRET_KEY")}
    code = "from ferry.cli.main import main; main()"
    return subprocess.run(
        [sys.executable, "-c", code, *args], input=stdin, capture_output=True, text=True, timeout=60, env=env
    )


def init(root: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(root), "--template", "dynamics365-tims"])
    assert result.exit_code == 0, result.output


def break_project(root: Path) -> None:
    """Two problems: an undefined connection and a secret written out."""
    path = root / "ferry.yaml"
    text = path.read_text().replace("connection: tims", "connection: timz")
    text = text.replace("${secret:tims-webhook-secret}", "written-out-webhook-secret")
    path.write_text(text)


def test_init_says_what_it_stored_and_how_to_replace_it(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", str(tmp_path / "p")])
    assert result.exit_code == 0
    assert "d365-client-secret, tims-api-key, tims-webhook-secret" in result.output
    assert f"ferry secrets set {tmp_path / 'p'} tims-api-key" in result.output
    assert not any(value in result.output for value in SANDBOX_VALUES)


def test_init_refuses_an_existing_project_without_force(tmp_path: Path) -> None:
    init(tmp_path)
    refused = ferry("init", str(tmp_path))
    assert refused.returncode == 2
    assert "--force" in refused.stderr and "Traceback" not in refused.stderr
    assert ferry("init", str(tmp_path), "--force").returncode == 0


def test_init_lists_templates(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["init", "--list-templates"])
    assert result.exit_code == 0
    assert "dynamics365-tims" in result.output


def test_init_with_an_unknown_template_exits_2(tmp_path: Path) -> None:
    result = ferry("init", str(tmp_path), "--template", "nosuch")
    assert result.returncode == 2
    assert "dynamics365-tims" in result.stderr


def test_validate_prints_each_problem_with_file_and_line_and_exits_2(tmp_path: Path) -> None:
    init(tmp_path)
    break_project(tmp_path)
    result = ferry("validate", str(tmp_path))
    assert result.returncode == 2
    lines = result.stdout.splitlines()
    assert any(
        line.startswith(f"{tmp_path / 'ferry.yaml'}:") and "connection 'timz' is not defined" in line for line in lines
    )
    assert any("secret written out" in line and "(hint: store it with" in line for line in lines)
    assert "problems in" in result.stderr


def test_validate_json_lists_problems_as_objects_and_exits_2(tmp_path: Path) -> None:
    init(tmp_path)
    break_project(tmp_path)
    result = ferry("validate", str(tmp_path), "--json")
    assert result.returncode == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    messages = [p["message"] for p in report["problems"]]
    assert "connection 'timz' is not defined" in messages
    problem = report["problems"][messages.index("connection 'timz' is not defined")]
    assert problem["file"] == str(tmp_path / "ferry.yaml") and isinstance(problem["line"], int)
    assert problem["hint"] == "defined connections: d365, shop, tims"


def test_validate_output_never_contains_a_secret_value(tmp_path: Path) -> None:
    init(tmp_path)
    break_project(tmp_path)
    vault = Vault.open(tmp_path, {})
    stored = {name: f"stored-value-{n}" for n, name in enumerate(["d365-client-secret", "tims-api-key", "extra"])}
    for name, value in stored.items():
        vault.set(name, value)
    texts = [ferry("validate", str(tmp_path), *flag) for flag in ((), ("--json",))]
    output = "".join(r.stdout + r.stderr for r in texts)
    assert "connection 'timz' is not defined" in output  # the outputs are real reports
    for value in (*stored.values(), "written-out-webhook-secret"):
        assert value not in output


def test_validate_a_directory_without_a_project_exits_2(tmp_path: Path) -> None:
    result = ferry("validate", str(tmp_path))
    assert result.returncode == 2
    assert "no ferry.yaml" in result.stdout


def test_secrets_set_from_stdin_then_list_names_only(tmp_path: Path) -> None:
    stored = ferry("secrets", "set", str(tmp_path), "api-key", "--value-stdin", stdin="s3cr3t-from-stdin\n")
    assert stored.returncode == 0, stored.stderr
    assert "Created the vault key" in stored.stderr
    assert Vault.open(tmp_path, {}).get("api-key").get_secret_value() == "s3cr3t-from-stdin"
    listed = ferry("secrets", "list", str(tmp_path))
    assert listed.returncode == 0
    assert listed.stdout.split() == ["api-key"]


def test_secrets_set_asks_without_echo(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["secrets", "set", str(tmp_path), "pw"], input="typed-value\ntyped-value\n")
    assert result.exit_code == 0, result.output
    assert "typed-value" not in result.output
    assert Vault.open(tmp_path, {}).get("pw").get_secret_value() == "typed-value"


def test_secrets_set_with_value_warns_about_shell_history(tmp_path: Path) -> None:
    result = ferry("secrets", "set", str(tmp_path), "pw", "--value", "v")
    assert result.returncode == 0
    assert "shell history" in result.stderr


def test_secrets_set_outside_a_project_directory_exits_2(tmp_path: Path) -> None:
    result = ferry("secrets", "set", str(tmp_path / "missing"), "a", "--value-stdin", stdin="v")
    assert result.returncode == 2
    assert not (tmp_path / "missing").exists()


def test_secrets_rm_removes_and_a_missing_name_exits_2(tmp_path: Path) -> None:
    Vault.open(tmp_path, {}, create_key=True).set("a", "1")
    assert ferry("secrets", "rm", str(tmp_path), "a").returncode == 0
    assert Vault.open(tmp_path, {}).names() == []
    missing = ferry("secrets", "rm", str(tmp_path), "a")
    assert missing.returncode == 2 and "No secret named 'a'" in missing.stderr


def test_secrets_with_a_wrong_key_exit_2_with_a_clear_message(tmp_path: Path) -> None:
    Vault.open(tmp_path, {}, create_key=True).set("a", "1")
    (tmp_path / ".ferry" / "secret.key").write_text(ferry("secrets", "new-key").stdout)
    result = ferry("secrets", "list", str(tmp_path))
    assert result.returncode == 2
    assert "does not open the vault" in result.stderr and "Traceback" not in result.stderr


def test_project_schema_prints_the_committed_schema() -> None:
    result = CliRunner().invoke(app, ["project", "schema"])
    assert result.exit_code == 0
    assert result.output == schema_json()


@pending_mappings
def test_the_template_validates_clean_through_the_cli(tmp_path: Path) -> None:
    init(tmp_path)
    result = ferry("validate", str(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 connections: d365 (dynamics365), tims (tims), shop (storefront)" in result.stdout
    assert "workflow order-to-cash: workflows/order-to-cash.yaml" in result.stdout
    assert "sync customers: d365.accounts <-> tims.customers" in result.stdout
    assert "sync shipments: d365.salesorders <-> tims.shipments" in result.stdout
    assert "sync shop-stock: shop.inventory_levels <- tims.inventory" in result.stdout
