"""OData `$batch`: many requests in one `multipart/mixed` body, change sets for the atomic groups.

Each top-level part is one request, or a change set (a nested `multipart/mixed` whose requests
succeed or fail together). The answer has one part per top-level part, in order; a change set
answers with a nested multipart holding one response per request, or, when it failed, the one
response that failed it. `decode` hands back exactly that shape.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ferry.core import jsoncodec
from ferry.core.errors import TransientError
from ferry.http import Response

_CRLF = "\r\n"


@dataclass(frozen=True, slots=True)
class BatchRequest:
    method: str
    #: Absolute URL (Dataverse accepts absolute or root-relative request lines).
    url: str
    body: Any = None
    headers: Mapping[str, str] = field(default_factory=dict)
    content_id: str | None = None


@dataclass(frozen=True, slots=True)
class ChangeSet:
    requests: Sequence[BatchRequest]


Part = BatchRequest | ChangeSet


@dataclass(frozen=True, slots=True)
class PartResponse:
    status: int
    reason: str
    headers: Mapping[str, str]
    body: bytes
    content_id: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def json(self) -> Any:
        return jsoncodec.loads(self.body) if self.body.strip() else None

    def as_response(self, url: str) -> Response:
        """The part as a seam `Response`, so failures go through the same error table."""
        return Response(self.status, self.reason, self.headers, self.body, url)


def encode(parts: Sequence[Part]) -> tuple[str, bytes]:
    """(Content-Type, body) of a `$batch` request."""
    boundary = f"batch_{uuid.uuid4()}"
    chunks: list[str] = []
    for part in parts:
        chunks.append(f"--{boundary}{_CRLF}")
        if isinstance(part, ChangeSet):
            inner = f"changeset_{uuid.uuid4()}"
            chunks.append(f"Content-Type: multipart/mixed; boundary={inner}{_CRLF}{_CRLF}")
            for request in part.requests:
                chunks.append(f"--{inner}{_CRLF}{_request(request)}{_CRLF}")
            chunks.append(f"--{inner}--{_CRLF}")
        else:
            chunks.append(_request(part) + _CRLF)
    chunks.append(f"--{boundary}--{_CRLF}")
    return f"multipart/mixed; boundary={boundary}", "".join(chunks).encode("utf-8")


def _request(request: BatchRequest) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if request.content_id:
        lines.append(f"Content-ID: {request.content_id}")
    lines += ["", f"{request.method} {request.url} HTTP/1.1"]
    headers = dict(request.headers)
    body = ""
    if request.body is not None:
        headers.setdefault("Content-Type", "application/json; type=entry")
        body = jsoncodec.dumps(request.body).decode("utf-8")
    lines += [f"{name}: {value}" for name, value in headers.items()]
    lines += ["", body]
    return _CRLF.join(lines)


def decode(content_type: str, body: bytes) -> list[list[PartResponse]]:
    """One list per top-level part: a single response, or a change set's responses."""
    boundary = _boundary(content_type)
    text = body.decode("utf-8", "replace")
    out: list[list[PartResponse]] = []
    for block in _split(text, boundary):
        headers, rest = _head(block)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            out.append([_response(inner) for inner in _split(rest, _boundary(kind))])
        else:
            out.append([_response(block)])
    return out


def _boundary(content_type: str) -> str:
    for piece in content_type.split(";"):
        name, _, value = piece.strip().partition("=")
        if name.lower() == "boundary" and value:
            return value.strip('"')
    raise TransientError(f"Dataverse answered a $batch without a multipart boundary ({content_type!r}).")


def _split(text: str, boundary: str) -> list[str]:
    """The parts between `--boundary` lines; the line break before each delimiter belongs to it."""
    parts: list[str] = []
    current: list[str] | None = None
    for line in text.split("\n"):  # not splitlines(): JSON bodies may hold U+2028 and friends
        marker = line.rstrip()
        if marker in (f"--{boundary}", f"--{boundary}--"):
            if current is not None:
                parts.append("\n".join(current).removesuffix("\r"))
            if marker == f"--{boundary}--":
                break
            current = []
        elif current is not None:
            current.append(line)
    return parts


def _head(block: str) -> tuple[dict[str, str], str]:
    """Headers up to the first blank line (names in lower case), and what follows it."""
    headers: dict[str, str] = {}
    lines = block.split("\n")
    for i, raw in enumerate(lines):
        line = raw.rstrip("\r")
        if not line:
            return headers, "\n".join(lines[i + 1 :])
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return headers, ""


def _response(block: str) -> PartResponse:
    mime, rest = _head(block)
    rest = rest.lstrip("\r\n")
    status_line, _, rest = rest.partition("\n")
    pieces = status_line.strip().split(" ", 2)
    try:
        status = int(pieces[1])
    except (IndexError, ValueError):
        raise TransientError(f"Dataverse answered a $batch part without a status line: {status_line[:80]!r}.") from None
    headers, body = _head(rest)
    content_id = mime.get("content-id") or headers.get("content-id")
    return PartResponse(status, pieces[2] if len(pieces) > 2 else "", headers, body.strip().encode("utf-8"), content_id)
