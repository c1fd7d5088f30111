"""A `storefront` connection in ferry.yaml validates and opens with its secrets resolved."""

from __future__ import annotations

from pathlib import Path

import pytest

from ferry.connectors.storefront import StorefrontConfig
from ferry.core.problems import ProblemsError
from ferry.project import Project

PROJECT = """\
version: 1
name: shop
connections:
  shop:
    type: storefront
    url: http://127.0.0.1:7073
    access_token: ${env:SHOP_TOKEN}
    webhook_secret: ${env:SHOP_SECRET}
"""


@pytest.fixture(autouse=True)
def _no_mapping_language(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("ferry.project.project.mapping_language_checker", lambda: None)
    monkeypatch.delenv("FERRY_SECRET_KEY", raising=False)
    monkeypatch.delenv("FERRY_SECRET_KEY_FILE", raising=False)


def test_a_storefront_connection_opens_with_its_token(tmp_path: Path) -> None:
    (tmp_path / "ferry.yaml").write_text(PROJECT)
    project = Project.load(tmp_path, {"SHOP_TOKEN": "shpat_abc", "SHOP_SECRET": "shpss_def"})
    config = project.connection_config("shop")
    assert isinstance(config, StorefrontConfig)
    assert config.access_token.get_secret_value() == "shpat_abc"
    assert config.api_version == "2025-07"


def test_an_inline_token_or_an_unknown_field_is_refused(tmp_path: Path) -> None:
    text = PROJECT.replace("${env:SHOP_TOKEN}", "shpat_inline") + "    shop_name: x\n"
    (tmp_path / "ferry.yaml").write_text(text)
    with pytest.raises(ProblemsError) as caught:
        Project.load(tmp_path, {"SHOP_SECRET": "s"})
    shown = str(caught.value)
    assert "access_token" in shown and "shop_name" in shown
