"""The JSON Schema of `ferry.yaml` and the Markdown reference, both generated from the models."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any, Union

from pydantic import Field, create_model

from ferry.project.connectors import connection_model, connection_types
from ferry.project.models import Name, ProjectSpec
from ferry.project.refs import REFERENCE_PATTERN

SCHEMA_ID = "https://ferry.dev/schemas/project-1.json"
BEGIN = "<!-- BEGIN GENERATED: ferry project schema --format markdown -->"
END = "<!-- END GENERATED -->"


def project_schema(types: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of a project file, with each connection type's own fields (a union on `type`)."""
    members = tuple(connection_model(t) for t in (types or connection_types()))
    entry: Any = Annotated[Union[members], Field(discriminator="type")] if len(members) > 1 else members[0]  # noqa: UP007
    described = ProjectSpec.model_fields["connections"].description
    model = create_model(
        "Project",
        __base__=ProjectSpec,
        __doc__=ProjectSpec.__doc__,
        connections=(dict[Name, entry], Field(description=described)),
    )
    schema = _secrets_as_references(model.model_json_schema(mode="validation"))
    # Pydantic spells constrained keys as patternProperties, which lets other keys through unchecked.
    connections = schema["properties"]["connections"]
    ((pattern, value),) = connections.pop("patternProperties").items()
    connections["propertyNames"] = {**connections.get("propertyNames", {}), "pattern": pattern}
    connections["additionalProperties"] = value
    for member in members:  # `type` first, as users write it
        node = schema["$defs"][member.__name__]
        node["properties"] = {"type": node["properties"].pop("type"), **node["properties"]}
        node["required"] = ["type", *(r for r in node["required"] if r != "type")]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_json(types: Sequence[str] | None = None) -> str:
    """The schema as the committed `docs/project-schema.json` holds it."""
    return json.dumps(project_schema(types), indent=2, ensure_ascii=False) + "\n"


def _secrets_as_references(node: Any) -> Any:
    """Secret fields accept only `${secret:NAME}` or `${env:NAME}`, so editors flag a written-out secret."""
    if isinstance(node, dict):
        if node.get("format") == "password":
            described = {k: v for k, v in node.items() if k != "format"}
            return {**described, "type": "string", "pattern": REFERENCE_PATTERN, "writeOnly": True}
        return {k: _secrets_as_references(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_secrets_as_references(v) for v in node]
    return node


def reference_markdown(types: Sequence[str] | None = None) -> str:
    """One section per model of the schema, each a table of its keys; starts with the project file itself."""
    schema = project_schema(types)
    defs: dict[str, Any] = schema.get("$defs", {})
    order = _reachable(schema, defs)
    parts = [_section("Project", schema, defs, heading="The project file (`ferry.yaml`)")]
    parts += [_section(name, defs[name], defs) for name in order]
    return "\n".join(parts)


def update_generated(page: str, generated: str) -> str:
    """`page` with the text between the generation markers replaced by `generated`."""
    if BEGIN not in page or END not in page:
        raise ValueError(f"the page has no generated section (markers {BEGIN} ... {END})")
    head, rest = page.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n\n{generated}\n{END}{tail}"


def _reachable(root: dict[str, Any], defs: dict[str, Any]) -> list[str]:
    """Definitions in the order a reader meets them, walking from the root."""
    seen: list[str] = []
    queue = [{k: v for k, v in root.items() if k != "$defs"}]
    while queue:
        node = queue.pop(0)
        for ref in _refs(node):
            if ref not in seen:
                seen.append(ref)
                queue.append(defs[ref])
    return seen


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"].rsplit("/", 1)[-1]] if isinstance(node.get("$ref"), str) else []
        return found + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _section(name: str, node: dict[str, Any], defs: dict[str, Any], heading: str | None = None) -> str:
    title = heading or f"`{name}`"
    lines = [f"### {title}", ""]
    if node.get("description"):
        lines += [" ".join(node["description"].split()), ""]
    if "enum" in node:
        lines += ["One of: " + ", ".join(f"`{v}`" for v in node["enum"]) + ".", ""]
        return "\n".join(lines)
    required = set(node.get("required", []))
    lines += ["| key | type | required | default | description |", "|---|---|---|---|---|"]
    for key, prop in node.get("properties", {}).items():
        default = f"`{_literal(prop['default'])}`" if "default" in prop else ""
        description = prop.get("description") or _referenced(prop, defs).get("description", "")
        description = " ".join(str(description).split()).replace("|", "\\|")
        row = [f"`{key}`", _type(prop), "yes" if key in required else "", default, description]
        lines.append("| " + " | ".join(row) + " |")
    lines.append("")
    return "\n".join(lines)


def _literal(value: Any) -> str:
    """A value as written in YAML: text unquoted, everything else as JSON (`null`, `true`, `[]`)."""
    return value if isinstance(value, str) else json.dumps(value)


def _referenced(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    ref = prop.get("$ref")
    return defs.get(ref.rsplit("/", 1)[-1], {}) if isinstance(ref, str) else {}


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        name = prop["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if prop.get("pattern") == REFERENCE_PATTERN:
        return "secret reference"
    if "const" in prop:
        return f"`{_literal(prop['const'])}`"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    for union in ("anyOf", "oneOf"):
        if union in prop:
            return " or ".join(_type(p) for p in prop[union])
    kind = prop.get("type")
    if kind == "array":
        return f"list of {_type(prop.get('items', {}))}"
    if kind == "object":
        values = prop.get("additionalProperties")
        return f"map of name to {_type(values)}" if isinstance(values, dict) else "mapping"
    return {"string": "text", "integer": "integer", "number": "number", "boolean": "boolean", "null": "null"}.get(
        str(kind), "any"
    )
