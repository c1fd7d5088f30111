"""Resource paths of the Web API: `accounts`, `accounts(<guid>)`, `accounts(accountnumber='A-1')/name`, …"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ferry.sandboxes.dynamics365.errors import ODATA_PARSE, ODataError, bad_request
from ferry.sandboxes.dynamics365.schema import Kind, Table
from ferry.sandboxes.dynamics365.values import parse_guid

API_PREFIX = "/api/data/v9.2/"
API_VERSIONS = ("v9.0", "v9.1", "v9.2")

_SEGMENT = re.compile(r"^(?P<name>[\w.$]+)(?:\((?P<key>.*)\))?$", re.DOTALL)
_KEY_PART = re.compile(r"\s*(?P<name>\w+)\s*=\s*(?P<value>'(?:[^']|'')*'|[^,]+)\s*(?:,|$)")


@dataclass(frozen=True, slots=True)
class ResourcePath:
    """A parsed path below the service root."""

    set_name: str
    key: dict[str, Any] | None = None
    #: A column (`/name`), a navigation property (`/primarycontactid`) or a relationship.
    member: str | None = None
    ref: bool = False
    count: bool = False


def split_top_level(text: str, sep: str) -> list[str]:
    """Split on `sep` outside parentheses and quotes (key values and nested options may contain it)."""
    parts: list[str] = []
    current: list[str] = []
    depth, quoted = 0, False
    for ch in text:
        if ch == "'":
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")":
            depth -= 1
        if ch == sep and depth == 0 and not quoted:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
    parts.append("".join(current))
    return [p.strip() for p in parts if p.strip()]


def parse_resource(path: str) -> ResourcePath:
    """Parse `accounts(...)/member/$ref` (the part after the service root, already URL-decoded)."""
    segments = split_top_level(path, "/")
    if not segments:
        raise bad_request("Empty resource path.")
    m = _SEGMENT.match(segments[0])
    if m is None:
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{segments[0]}'.")
    key = _parse_key_text(m.group("key")) if m.group("key") is not None else None
    rest = segments[1:]
    if rest == ["$count"] and key is None:
        return ResourcePath(m.group("name"), count=True)
    member = rest[0] if rest else None
    ref = len(rest) == 2 and rest[1] == "$ref"
    if len(rest) > 2 or (len(rest) == 2 and not ref) or (member is not None and key is None):
        raise ODataError(404, ODATA_PARSE, f"Resource not found for the segment '{'/'.join(rest) or path}'.")
    return ResourcePath(m.group("name"), key=key, member=member, ref=ref)


def _parse_key_text(text: str) -> dict[str, Any]:
    """`<guid>` -> {"": guid}; `name='x',n=1` -> {"name": "x", "n": 1} (literals still typed)."""
    text = text.strip()
    if "=" not in text:
        return {"": _literal(text)}
    parts: dict[str, Any] = {}
    pos = 0
    while pos < len(text):
        m = _KEY_PART.match(text, pos)
        if m is None:
            raise bad_request(f"Bad Request - Error in query syntax: the key '{text}' is not valid.")
        parts[m.group("name")] = _literal(m.group("value").strip())
        pos = m.end()
    return parts


def _literal(raw: str) -> Any:
    if raw.startswith("'") and raw.endswith("'") and len(raw) >= 2:
        return unquote(raw[1:-1]).replace("''", "'")
    guid = parse_guid(raw)
    if guid is not None:
        return _GuidKey(guid)
    if re.fullmatch(r"-?\d+", raw):
        return int(raw)
    raise bad_request(f"Bad Request - Error in query syntax: '{raw}' is not a valid key value.")


@dataclass(frozen=True, slots=True)
class _GuidKey:
    value: str


def resolve_key(table: Table, key: dict[str, Any]) -> dict[str, Any]:
    """Check a parsed key against the table's primary and alternate keys; return column -> value."""
    if list(key) == [""]:
        value = key[""]
        if not isinstance(value, _GuidKey):
            raise bad_request(f"The key value for '{table.set_name}' must be a GUID or named alternate key values.")
        return {table.primary_id: value.value}
    resolved: dict[str, Any] = {}
    for name, value in key.items():
        column = table.columns.get(name)
        if column is None:
            raise bad_request(f"'{name}' is not a valid key of {table.logical_name}.")
        if column.kind in (Kind.GUID, Kind.LOOKUP):
            if not isinstance(value, _GuidKey):
                raise bad_request(f"The key value for '{name}' must be a GUID.")
            resolved[name] = value.value
        elif column.kind in (Kind.STRING, Kind.MEMO):
            if not isinstance(value, str):
                raise bad_request(f"The key value for '{name}' must be a quoted string.")
            resolved[name] = value
        else:
            resolved[name] = value.value if isinstance(value, _GuidKey) else value
    names = set(resolved)
    if names != {table.primary_id} and not any(set(k) == names for k in table.alternate_keys):
        raise bad_request(
            f"The key {sorted(names)} is not defined for {table.logical_name}; "
            f"keys: {[table.primary_id, *[list(k) for k in table.alternate_keys]]}."
        )
    return resolved


def reference_target(url: str) -> tuple[str, dict[str, Any]]:
    """`/accounts(<id>)`, `accounts(<id>)` or an absolute URL -> (set name, parsed key)."""
    text = unquote(url.strip())
    if "://" in text:
        text = text.split("://", 1)[1]
        text = text[text.index("/") :] if "/" in text else ""
    for version in API_VERSIONS:
        marker = f"/api/data/{version}/"
        if marker in text:
            text = text.split(marker, 1)[1]
    text = text.lstrip("/")
    resource = parse_resource(text) if text else None
    if resource is None or resource.key is None or resource.member is not None:
        raise bad_request(f"The URL '{url}' does not identify a single record; expected e.g. /accounts(<guid>).")
    return resource.set_name, resource.key
