"""`ferry mapping test` over a project made from the template: its own tests pass, a broken one fails."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ferry.cli.main import app
from ferry.core.errors import ConfigError
from ferry.project.templates import init_project

TESTS = Path("mappings") / "tests"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("mt") / "project"
    init_project(root, "dynamics365-tims")
    return root


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["mapping", "test", *args])
    return result.exit_code, result.output


def test_the_template_ships_tests_for_customers_products_and_sales_orders_and_all_pass(project: Path) -> None:
    names = {p.stem for p in (project / TESTS).glob("*.yaml")}
    assert {"account-to-customer", "customer-to-account", "product-to-item", "sales-order-to-tims"} <= names
    code, output = invoke(str(project))
    assert code == 0, output
    assert "0 failed" in output and "FAIL" not in output


def test_json_lists_every_case_with_its_input_and_output(project: Path) -> None:
    code, output = invoke(str(project), "--json")
    assert code == 0
    report = json.loads(output)
    assert report["ok"] is True and report["failed"] == 0 and report["passed"] == len(report["cases"]) >= 10
    first = next(c for c in report["cases"] if c["mapping"] == "account-to-customer")
    assert first["output"]["CompanyName"] == "Contoso Pharmaceuticals"
    assert first["input"]["creditlimit"] == 25000
    assert first["file"] == "mappings/tests/account-to-customer.yaml" and first["line"] == 4


def test_one_sync_runs_only_its_own_mappings(project: Path) -> None:
    code, output = invoke(str(project), "products", "--json")
    assert code == 0
    assert {c["mapping"] for c in json.loads(output)["cases"]} == {"product-to-item", "item-to-product"}


def test_a_broken_expectation_exits_1_and_shows_the_difference(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_project(root, "dynamics365-tims")
    path = root / TESTS / "product-to-item.yaml"
    path.write_text(path.read_text().replace('UnitPrice: "130.00"', 'UnitPrice: "129.99"'))
    code, output = invoke(str(root), "products")
    assert code == 1
    assert "UnitPrice: expected '129.99', got '130.00'" in output
    assert "FAIL" in output and "1 failed" in output
    code, output = invoke(str(root), "products", "--json")
    report = json.loads(output)
    assert code == 1 and report["ok"] is False
    assert [c["differences"] for c in report["cases"] if not c["passed"]] == [
        ["UnitPrice: expected '129.99', got '130.00'"]
    ]


def test_a_broken_test_file_is_a_message_with_file_and_line_never_a_traceback(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_project(root, "dynamics365-tims")
    (root / TESTS / "account-to-customer.yaml").write_text("cases:\n  - name: x\n    input: {a: [1\n")
    (root / TESTS / "no-such-mapping.yaml").write_text("cases:\n  - input: {a: 1}\n")
    (root / TESTS / "product-to-item.yaml").write_text("cases:\n  - name: lost\n    expect: {SKU: a}\n")
    code = "from ferry.cli.main import main; main()"
    result = subprocess.run(
        [sys.executable, "-c", code, "mapping", "test", str(root)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    text = " ".join(result.stderr.split())
    assert "mappings/tests/account-to-customer.yaml:4" in text and "invalid YAML" in text
    assert "mappings/tests/no-such-mapping.yaml:1" in text and "unknown mapping" in text
    assert "mappings/tests/product-to-item.yaml:2" in text and "has no `input:`" in text


def test_a_project_without_tests_says_where_to_put_them(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["mapping", "test", str(tmp_path)])
    assert isinstance(result.exception, ConfigError)  # main() prints it as a message, exit code 2
    assert "no mapping tests" in result.exception.message
    assert "mappings/tests/account-to-customer.yaml" in result.exception.message
