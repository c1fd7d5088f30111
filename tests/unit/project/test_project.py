from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from pydantic import BaseModel, Field, SecretStr

from ferry.connectors.dynamics365.config import DataverseConfig
from ferry.connectors.tims.config import TimsConfig
from ferry.core.errors import ConfigError
from ferry.core.problems import ProblemsError
from ferry.project import Project
from ferry.vault import Vault
from tests.unit.project.conftest import VALID

Make = Callable[[str], Path]


@pytest.fixture
def project(make_project: Make) -> Project:
    root = make_project(VALID)
    Vault.open(root, {}, create_key=True).set("d365-secret", "from-the-vault")
    return Project.load(root, {"TIMS_KEY": "from-the-environment"})


def test_secret_reference_resolves_from_the_vault(project: Project) -> None:
    config = project.connection_config("d365")
    assert isinstance(config, DataverseConfig)
    assert isinstance(config.client_secret, SecretStr)
    assert config.client_secret.get_secret_value() == "from-the-vault"


def test_env_reference_resolves_from_the_environment(project: Project) -> None:
    config = project.connection_config("tims")
    assert isinstance(config, TimsConfig)
    assert config.api_key is not None and config.api_key.get_secret_value() == "from-the-environment"


def test_resolved_secrets_do_not_print(project: Project) -> None:
    config = project.connection_config("d365")
    assert "from-the-vault" not in repr(config) + str(config)


def test_spec_keeps_the_reference_not_the_value(project: Project) -> None:
    assert project.connections["d365"].settings["client_secret"] == "${secret:d365-secret}"


def test_unset_environment_variable_fails_when_the_connection_opens(make_project: Make) -> None:
    root = make_project(VALID)
    Vault.open(root, {}, create_key=True).set("d365-secret", "s")
    project = Project.load(root, {})
    with pytest.raises(ConfigError, match="environment variable TIMS_KEY"):
        project.connection_config("tims")


def test_env_reference_may_stand_for_any_text_field(make_project: Make) -> None:
    text = VALID.replace("url: http://127.0.0.1:7072", "url: ${env:TIMS_URL}")
    root = make_project(text)
    Vault.open(root, {}, create_key=True).set("d365-secret", "s")
    project = Project.load(root, {"TIMS_KEY": "k", "TIMS_URL": "https://tims.example.com"})
    assert project.connection_config("tims").url == "https://tims.example.com"  # type: ignore[attr-defined]


def test_a_resolved_value_the_connector_refuses_is_reported_without_the_value(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Picky(BaseModel):
        url: str
        tenant: str
        client_id: str
        client_secret: SecretStr = Field(min_length=100)

    monkeypatch.setattr("ferry.project.project.config_model", lambda _: Picky)
    with pytest.raises(ConfigError) as caught:
        project.connection_config("d365")
    assert "connections.d365.client_secret" in caught.value.message
    assert "from-the-vault" not in caught.value.message


def test_unknown_connection_name_is_a_config_error(project: Project) -> None:
    with pytest.raises(ConfigError, match="No connection named 'x'"):
        project.connection_config("x")


def test_load_raises_every_problem_at_once(make_project: Make) -> None:
    text = VALID.replace("type: tims", "type: nosuch").replace("name: test", "name: test\nextra: 1")
    with pytest.raises(ProblemsError) as caught:
        Project.load(make_project(text), {})
    assert caught.value.exit_code == 2
    assert len(caught.value.problems) >= 2


def test_mapping_path_and_sync_lookup(project: Project) -> None:
    assert project.mapping_path("customers", "right_to_left") == project.root / "mappings" / "r2l.yaml"
    with pytest.raises(ConfigError, match="Syncs: customers"):
        project.sync("orders")
