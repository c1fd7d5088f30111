from __future__ import annotations

import re
from pathlib import Path

import pytest

from ferry.core.errors import ConfigError
from ferry.project import validate
from ferry.project.templates import init_project, load_template, templates
from ferry.sandboxes.dynamics365 import app as dataverse_sandbox
from ferry.sandboxes.tims import auth as tims_auth
from ferry.sandboxes.tims import sandbox as tims_sandbox
from ferry.sandboxes.tims import webhooks as tims_webhooks
from ferry.vault import Vault

TEMPLATE = "dynamics365-tims"


# Until the template's mapping files are written, the template cannot validate clean.
pending_mappings = pytest.mark.skipif(
    not (load_template("dynamics365-tims").path / "mappings").is_dir(), reason="template mappings not written yet"
)


def test_the_dynamics365_tims_template_is_listed_with_a_description() -> None:
    listed = {t.name: t for t in templates()}
    assert TEMPLATE in listed
    assert "TIMS" in listed[TEMPLATE].description


def test_init_writes_the_template_without_its_metadata(tmp_path: Path) -> None:
    created = init_project(tmp_path / "p", TEMPLATE, environ={})
    written = {p.as_posix() for p in created.files}
    assert {"ferry.yaml", "README.md", ".gitignore"} <= written
    assert "template.yaml" not in written and not (tmp_path / "p" / "template.yaml").exists()
    assert (tmp_path / "p" / ".gitignore").read_text().count(".ferry/") >= 1


def test_init_names_the_project_after_its_directory(tmp_path: Path) -> None:
    init_project(tmp_path / "acme-sync", TEMPLATE, environ={})
    assert re.search(r"^name: acme-sync$", (tmp_path / "acme-sync" / "ferry.yaml").read_text(), re.MULTILINE)


def test_init_stores_the_sandboxes_default_credentials(tmp_path: Path) -> None:
    init_project(tmp_path, TEMPLATE, environ={})
    vault = Vault.open(tmp_path, {})
    assert vault.get("d365-client-secret").get_secret_value() == dataverse_sandbox.CLIENT_SECRET
    assert vault.get("tims-api-key").get_secret_value() == tims_auth.API_KEY
    assert vault.get("tims-webhook-secret").get_secret_value() == tims_webhooks.DEFAULT_WEBHOOK_SECRET


def test_template_points_at_the_default_sandbox_ports_and_identities() -> None:
    text = (load_template(TEMPLATE).path / "ferry.yaml").read_text()
    assert f"url: http://127.0.0.1:{dataverse_sandbox.Dynamics365Sandbox.default_port}" in text
    assert f"authority_host: http://127.0.0.1:{dataverse_sandbox.Dynamics365Sandbox.default_port}" in text
    assert f"url: http://127.0.0.1:{tims_sandbox.TimsSandbox.default_port}" in text
    assert f"tenant: {dataverse_sandbox.TENANT_ALIAS}" in text
    assert f"client_id: {dataverse_sandbox.CLIENT_ID}" in text


def test_init_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    init_project(tmp_path, TEMPLATE, environ={})
    (tmp_path / "ferry.yaml").write_text("mine\n")
    with pytest.raises(ConfigError, match="--force"):
        init_project(tmp_path, TEMPLATE, environ={})
    assert (tmp_path / "ferry.yaml").read_text() == "mine\n"


def test_init_with_force_overwrites_and_keeps_the_vault_key(tmp_path: Path) -> None:
    init_project(tmp_path, TEMPLATE, environ={})
    key = (tmp_path / ".ferry" / "secret.key").read_text()
    (tmp_path / "ferry.yaml").write_text("mine\n")
    init_project(tmp_path, TEMPLATE, force=True, environ={})
    assert (tmp_path / "ferry.yaml").read_text().startswith("#")
    assert (tmp_path / ".ferry" / "secret.key").read_text() == key


def test_unknown_template_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=TEMPLATE):
        init_project(tmp_path, "nosuch", environ={})


@pending_mappings
def test_the_template_validates_clean(tmp_path: Path) -> None:
    init_project(tmp_path, TEMPLATE, environ={})
    report = validate(tmp_path, {})
    assert report.problems == []
    assert report.project is not None
    assert {c.type for c in report.project.connections.values()} == {"dynamics365", "tims", "storefront"}
    assert {w.name for w in report.project.workflows} == {"procure-to-pay", "order-to-cash"}
    flows = {s.name: (s.left.connection, s.right.connection, s.direction.value) for s in report.project.syncs}
    assert flows == {
        "customers": ("d365", "tims", "both"),
        "products": ("d365", "tims", "both"),
        "vendors": ("d365", "tims", "both"),
        "purchase-orders": ("d365", "tims", "left_to_right"),
        "sales-orders": ("d365", "tims", "both"),
        "invoices": ("d365", "tims", "both"),
        "invoice-payments": ("d365", "tims", "left_to_right"),
        "part-payments": ("d365", "tims", "left_to_right"),
        "invoice-postings": ("tims", "tims", "left_to_right"),
        "payment-postings": ("tims", "tims", "left_to_right"),
        "invoice-reversals": ("tims", "tims", "left_to_right"),
        "payment-reversals": ("tims", "tims", "left_to_right"),
        "inventory": ("d365", "tims", "both"),
        "shipments": ("d365", "tims", "both"),
        "shop-stock": ("shop", "tims", "right_to_left"),
    }
