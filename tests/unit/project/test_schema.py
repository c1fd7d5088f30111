from __future__ import annotations

import re
from pathlib import Path

import pytest

from ferry.connectors import connector_class
from ferry.core.errors import ConfigError
from ferry.project.connectors import config_model, connection_types
from ferry.project.refs import REFERENCE_PATTERN
from ferry.project.schema import BEGIN, END, project_schema, reference_markdown, schema_json, update_generated

DOCS = Path(__file__).parents[3] / "docs"
REGENERATE = "regenerate with: ferry project schema --output docs/project-schema.json"


def test_committed_schema_is_current() -> None:
    assert (DOCS / "project-schema.json").read_text(encoding="utf-8") == schema_json(), REGENERATE


def test_reference_page_generated_section_is_current() -> None:
    page = (DOCS / "project-format.md").read_text(encoding="utf-8")
    assert update_generated(page, reference_markdown()) == page, (
        "regenerate with: ferry project schema --format markdown --output docs/project-format.md"
    )


def test_connections_are_a_union_on_type_with_each_connectors_fields() -> None:
    schema = project_schema()
    entry = schema["properties"]["connections"]["additionalProperties"]
    assert entry["discriminator"]["propertyName"] == "type"
    assert set(entry["discriminator"]["mapping"]) == set(connection_types()) >= {"dynamics365", "tims"}
    dataverse = schema["$defs"]["DataverseConnection"]
    assert list(dataverse["properties"])[0] == "type"
    assert set(config_model("dynamics365").model_fields) < set(dataverse["properties"])


def test_secret_fields_accept_only_references() -> None:
    field = project_schema()["$defs"]["DataverseConnection"]["properties"]["client_secret"]
    assert field["pattern"] == REFERENCE_PATTERN and field["writeOnly"] is True
    assert "description" in field
    assert re.match(field["pattern"], "${secret:d365-client-secret}")
    assert re.match(field["pattern"], "${env:CLIENT_SECRET}")
    assert not re.match(field["pattern"], "hunter2")


def test_connection_names_outside_the_pattern_are_closed_off() -> None:
    connections = project_schema()["properties"]["connections"]
    assert "patternProperties" not in connections
    assert "pattern" in connections["propertyNames"]


def test_update_generated_keeps_the_rest_of_the_page() -> None:
    page = f"intro\n{BEGIN}\nold\n{END}\noutro\n"
    assert update_generated(page, "new\n") == f"intro\n{BEGIN}\n\nnew\n\n{END}\noutro\n"


@pytest.mark.parametrize("type_name", ["dynamics365", "tims"])
def test_the_config_model_is_the_connectors_own(type_name: str) -> None:
    try:
        connector = connector_class(type_name)
    except (ImportError, AttributeError):
        pytest.skip(f"the {type_name} connector does not import here")
    assert config_model(type_name) is connector.Config


def test_unknown_type_names_the_installed_ones() -> None:
    with pytest.raises(ConfigError, match="Installed types: dynamics365, .*tims"):
        config_model("nosuch")
