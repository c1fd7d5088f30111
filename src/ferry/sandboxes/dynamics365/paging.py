"""Opaque continuation tokens shaped like Dataverse's: paging cookies and change-tracking delta tokens.

A paging cookie carries the sort values of the last row served (keyset paging), so a walk returns every
row exactly once even when rows are created or changed between pages.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import quote, unquote

from ferry.sandboxes.dynamics365.errors import bad_request

_COOKIE = re.compile(r'<cookie pagenumber="(\d+)" pagingcookie="([^"]*)" istracking="(True|False)" />')
_INNER = re.compile(r'lastvalues="([^"]*)"(?: snapshot="(\d+)")?')


def _encode_value(value: Any) -> list[Any]:
    if value is None:
        return ["n", None]
    if isinstance(value, bool):
        return ["b", value]
    if isinstance(value, int):
        return ["i", value]
    if isinstance(value, Decimal):
        return ["d", str(value)]
    if isinstance(value, datetime):
        return ["t", value.isoformat()]
    if isinstance(value, date):
        return ["a", value.isoformat()]
    return ["s", str(value)]


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "n": lambda raw: None,
    "b": bool,
    "i": int,
    "d": Decimal,
    "t": datetime.fromisoformat,
    "a": date.fromisoformat,
    "s": str,
}


def _decode_value(item: list[Any]) -> Any:
    tag, raw = item
    return _DECODERS[tag](raw)


def make_skiptoken(
    page: int, primary_id: str, first_id: str, last_id: str, last_values: list[Any], snapshot: int | None
) -> str:
    values = base64.urlsafe_b64encode(json.dumps([_encode_value(v) for v in last_values]).encode()).decode()
    extra = f' snapshot="{snapshot}"' if snapshot is not None else ""
    inner = (
        f'<cookie page="{page - 1}"><{primary_id} last="{{{last_id.upper()}}}" first="{{{first_id.upper()}}}" '
        f'lastvalues="{values}"{extra} /></cookie>'
    )
    tracking = "True" if snapshot is not None else "False"
    return (
        f'<cookie pagenumber="{page}" pagingcookie="{quote(quote(inner, safe=""), safe="")}" istracking="{tracking}" />'
    )


def read_skiptoken(token: str) -> tuple[int, list[Any], int | None]:
    """(page number, last row's sort values, change-tracking snapshot version)."""
    m = _COOKIE.fullmatch(html.unescape(token.strip()))
    inner = _INNER.search(unquote(unquote(m.group(2)))) if m else None
    if m is None or inner is None:
        raise bad_request("The $skiptoken value is not valid; use the @odata.nextLink the service returned.")
    try:
        values = [_decode_value(v) for v in json.loads(base64.urlsafe_b64decode(inner.group(1)))]
    except (ValueError, KeyError, TypeError):
        raise bad_request("The $skiptoken value is not valid; use the @odata.nextLink the service returned.") from None
    snapshot = int(inner.group(2)) if inner.group(2) else None
    return int(m.group(1)), values, snapshot


def make_deltatoken(version: int, at: datetime) -> str:
    return f"{version}!{at.astimezone(UTC).strftime('%m/%d/%Y %H:%M:%S')}"


def read_deltatoken(token: str, now: datetime, expire_days: int) -> int:
    """The row version a delta token stands for; expired or malformed tokens are refused."""
    m = re.fullmatch(r"(\d+)!(\d{2}/\d{2}/\d{4} \d{2}:\d{2}:\d{2})", unquote(token))
    if m is None:
        raise bad_request("The $deltatoken value is not valid; use the @odata.deltaLink the service returned.")
    issued = datetime.strptime(m.group(2), "%m/%d/%Y %H:%M:%S").replace(tzinfo=UTC)
    if now - issued > timedelta(days=expire_days):
        raise bad_request(
            "Version stamp associated with the client has expired. Please perform a full sync.", "0x80044352"
        )
    return int(m.group(1))
