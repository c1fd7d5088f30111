"""The generated parts of docs/mapping.md and the JSON Schema file, from the spec and the registry.

    python -m ferry.mapping.reference --write     # regenerate docs/mapping.md sections and schema.json
    python -m ferry.mapping.reference             # exit 1 if either is out of date

In docs/mapping.md, each generated part sits between `<!-- BEGIN GENERATED: name -->` and
`<!-- END GENERATED: name -->`; the text around them is written by hand.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

from ferry.mapping.operators import OPERATORS
from ferry.mapping.registry import FunctionInfo, functions
from ferry.mapping.spec import CONTEXT, GRAMMAR, MappingSpec

SCHEMA_FILE = Path(__file__).with_name("schema.json")
TEMPLATES = Path(__file__).parents[1] / "project" / "templates" / "dynamics365-tims" / "mappings"
_SECTION = re.compile(
    r"(<!-- BEGIN GENERATED: (?P<name>[a-z-]+) -->\n)(?P<body>.*?)(<!-- END GENERATED: (?P=name) -->)", re.S
)


def schema_text() -> str:
    """The JSON Schema of a mapping file, as committed in schema.json."""
    schema = MappingSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ferry.dev/schemas/mapping-v1.json"
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        title = defs[prop["$ref"].rsplit("/", 1)[-1]]["title"]
        return f"[{title}](#{title.lower().replace(' ', '-')})"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    if "anyOf" in prop or "oneOf" in prop:
        kinds: list[str] = []
        for option in prop.get("anyOf") or prop["oneOf"]:
            text = _type(option, defs)
            if text not in kinds and text != "null":
                kinds.append(text)
        return " or ".join(kinds) + (
            " (or null)" if any(o.get("type") == "null" for o in prop.get("anyOf", [])) else ""
        )
    if prop.get("format") == "expression":
        return "expression"
    kind = prop.get("type")
    if kind == "object":
        values = prop.get("additionalProperties") or next(iter(prop.get("patternProperties", {}).values()), None)
        return "object of " + _type(values, defs) if isinstance(values, dict) and values else "object"
    names = {"string": "text", "boolean": "true/false", "integer": "integer", "number": "number", "null": "null"}
    return names.get(str(kind), "any")


def format_section() -> str:
    """One table per object of the file format, in the order a reader meets them."""
    schema = MappingSpec.model_json_schema()
    defs = schema.get("$defs", {})
    out: list[str] = []
    models = ("FieldSpec", "ObjectSpec", "ListSpec", "LookupSpec", "RatesSpec", "RateRowSpec")
    for model in (schema, *(defs[name] for name in models)):
        out.append(f"### {model['title']}\n\n{model['description']}\n")
        out.append("| key | type | default | meaning |\n|---|---|---|---|")
        required = set(model.get("required", []))
        for key, prop in model["properties"].items():
            empty: Any = {} if prop.get("type") == "object" else None
            default = (
                "required" if key in required else f"`{json.dumps(prop.get('default', empty), ensure_ascii=False)}`"
            )
            description = prop.get("description", "").replace("|", "\\|")
            out.append(f"| `{key}` | {_type(prop, defs)} | {default} | {description} |")
        example = json.dumps(model.get("examples", [None])[0], ensure_ascii=False)
        out.append(f"\nExample (as JSON): `{example}`\n")
    return "\n".join(out)


def grammar_section() -> str:
    return f"```ebnf\n{GRAMMAR}\n```\n"


def operators_section() -> str:
    rows = ["| form | meaning | example |", "|---|---|---|"]
    rows += [f"| `{form}` | {meaning} | `{example}` |" for form, meaning, example in OPERATORS]
    return "\n".join(rows) + "\n"


def context_section() -> str:
    rows = ["| name | value | example |", "|---|---|---|"]
    rows += [f"| `context.{v.name}` | {v.description} | `{v.example}` |" for v in CONTEXT]
    return "\n".join(rows) + "\n"


def _json(value: Any) -> str:
    text = json.dumps(
        value, ensure_ascii=False, default=lambda v: f"__DECIMAL__{v}" if isinstance(v, Decimal) else str(v)
    )
    return re.sub(r'"__DECIMAL__([^"]*)"', r"\1", text)


def _function(info: FunctionInfo) -> str:
    ex = info.example
    lines = [f"#### `{info.signature}`\n", info.description + "\n", "```text"]
    if ex.lookups:
        lines.append(f"lookups: {_json(ex.lookups)}")
    if ex.rates:
        lines.append(f"rates:   {_json(ex.rates)}")
    lines += [f"record:  {_json(dict(ex.record))}", f"{ex.expression}", f"  → {_show(ex.result)}", "```\n"]
    return "\n".join(lines)


def _show(value: Any) -> str:
    if isinstance(value, dt.datetime):
        return "datetime " + value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return "date " + value.isoformat()
    return _json(value)


def functions_section() -> str:
    by_category: dict[str, list[FunctionInfo]] = {}
    for info in functions().values():
        by_category.setdefault(info.category, []).append(info)
    out = []
    for category in sorted(by_category):
        out.append(f"### {category[0].upper()}{category[1:]}\n")
        out += [_function(info) for info in by_category[category]]
    return "\n".join(out)


def templates_section() -> str:
    out = []
    for name in ("account-to-customer.yaml", "customer-to-account.yaml"):
        text = (TEMPLATES / name).read_text(encoding="utf-8")
        out.append(f"`src/ferry/project/templates/dynamics365-tims/mappings/{name}`:\n\n```yaml\n{text}```\n")
    return "\n".join(out)


EXAMPLES = Path(__file__).parents[3] / "docs" / "examples"


def erp_example_section() -> str:
    text = (EXAMPLES / "sales-order.yaml").read_text(encoding="utf-8")
    return f"`docs/examples/sales-order.yaml`:\n\n```yaml\n{text}```\n"


SECTIONS: dict[str, Callable[[], str]] = {
    "format": format_section,
    "grammar": grammar_section,
    "operators": operators_section,
    "context": context_section,
    "functions": functions_section,
    "templates": templates_section,
    "erp-example": erp_example_section,
}


def regenerate(page: str) -> str:
    """`page` with every generated section replaced by its current text."""

    def replace(match: re.Match[str]) -> str:
        render = SECTIONS.get(match["name"])
        if render is None:
            raise KeyError(f"unknown generated section {match['name']!r}")
        return match.group(1) + render() + match.group(4)

    return _SECTION.sub(replace, page)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--docs", type=Path, default=Path("docs/mapping.md"))
    parser.add_argument("--write", action="store_true", help="rewrite the files instead of checking them")
    args = parser.parse_args(argv)
    page = args.docs.read_text(encoding="utf-8")
    wanted = {args.docs: regenerate(page), SCHEMA_FILE: schema_text()}
    stale = [path for path, text in wanted.items() if not path.exists() or path.read_text(encoding="utf-8") != text]
    if args.write:
        for path in stale:
            path.write_text(wanted[path], encoding="utf-8")
            print(f"wrote {path}")
        return 0
    for path in stale:
        print(f"{path} is out of date; run: python -m ferry.mapping.reference --write", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    raise SystemExit(main())
