"""The examples in docs/project-format.md are real projects."""

from __future__ import annotations

import re
from pathlib import Path

from ferry.project import validate
from ferry.vault import Vault

PAGE = Path(__file__).parents[3] / "docs" / "project-format.md"


def test_the_example_project_in_the_reference_validates(tmp_path: Path) -> None:
    example = re.search(r"## An example\n\n```yaml\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.DOTALL)
    assert example is not None
    (tmp_path / "ferry.yaml").write_text(example.group(1))
    (tmp_path / "mappings").mkdir()
    for name in ("account-to-customer.yaml", "customer-to-account.yaml"):
        (tmp_path / "mappings" / name).write_text("fields: {}\n")
    vault = Vault.open(tmp_path, {}, create_key=True)
    for name in ("d365-client-secret", "tims-api-key", "tims-webhook-secret"):
        vault.set(name, "x")
    assert validate(tmp_path, {}).problems == []
