"""`$batch`: multipart requests with change sets that succeed or fail as a whole (`specs/dataverse.md` §1.8)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ferry.sandboxes.dynamics365.errors import bad_request
from ferry.sandboxes.dynamics365.options import parse_prefer
from ferry.sandboxes.dynamics365.paths import API_VERSIONS
from ferry.sandboxes.dynamics365.service import ApiRequest, ApiResponse, DataverseService
from ferry.sandboxes.dynamics365.store import Change, Ref
from ferry.sandboxes.kit.bodies import dumps

MAX_REQUESTS = 1000
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)


@dataclass(slots=True)
class BatchItem:
    method: str
    path: str
    params: list[tuple[str, str]]
    headers: dict[str, str]
    body: dict[str, Any] | None
    content_id: str | None = None


@dataclass(slots=True)
class ChangeSet:
    items: list[BatchItem] = field(default_factory=list)


Part = BatchItem | ChangeSet


def boundary_of(content_type: str) -> str:
    m = _BOUNDARY.search(content_type)
    if not content_type.lower().startswith("multipart/mixed") or m is None:
        raise bad_request("A $batch request needs Content-Type: multipart/mixed; boundary=batch_<id>.")
    return m.group(1)


def _split(text: str, boundary: str) -> list[str]:
    """The parts between `--boundary` lines (the preamble and epilogue dropped)."""
    delimiter = re.compile(rf"^--{re.escape(boundary)}(--)?[ \t]*\r?$", re.MULTILINE)
    pieces = delimiter.split(text)
    # split() yields [preamble, closer?, part, closer?, part, ...]; keep the parts before the closing line.
    parts, i = [], 1
    while i + 1 < len(pieces):
        closing = pieces[i] == "--"
        if closing:
            break
        parts.append(pieces[i + 1].strip("\r\n"))
        i += 2
    return parts


def _headers_and_rest(block: str) -> tuple[dict[str, str], str]:
    head, _, rest = _partition(block)
    headers: dict[str, str] = {}
    for line in head.splitlines():
        if ":" in line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return headers, rest


def _partition(block: str) -> tuple[str, str, str]:
    m = re.search(r"\r?\n\r?\n", block)
    if m is None:
        return block, "", ""
    return block[: m.start()], m.group(0), block[m.end() :]


def parse_batch(raw: bytes, content_type: str) -> list[Part]:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise bad_request("The $batch body is not UTF-8 text.") from None
    parts: list[Part] = []
    for block in _split(text, boundary_of(content_type)):
        headers, rest = _headers_and_rest(block)
        kind = headers.get("content-type", "")
        if kind.lower().startswith("multipart/mixed"):
            changeset = ChangeSet([_request(b) for b in _split(rest, boundary_of(kind))])
            if any(item.method == "GET" for item in changeset.items):
                raise bad_request("A change set cannot contain GET requests; put them outside the change set.")
            parts.append(changeset)
        else:
            parts.append(_request(block))
    count = sum(len(p.items) if isinstance(p, ChangeSet) else 1 for p in parts)
    if count > MAX_REQUESTS:
        raise bad_request(f"The number of requests in the batch ({count}) exceeds the maximum of {MAX_REQUESTS}.")
    if not parts:
        raise bad_request("The $batch request has no parts; check the boundary in Content-Type.")
    return parts


def _request(block: str) -> BatchItem:
    mime, rest = _headers_and_rest(block)
    line, _, rest = rest.partition("\n")
    m = re.match(r"^(GET|POST|PATCH|PUT|DELETE)\s+(\S+)(?:\s+HTTP/1\.[01])?\s*$", line.strip())
    if m is None:
        raise bad_request(f"The batch part request line '{line.strip()}' is not 'METHOD URL HTTP/1.1'.")
    headers, body_text = _headers_and_rest(rest) if rest.strip() else ({}, "")
    if not body_text and rest and not headers:
        body_text = rest
    body: dict[str, Any] | None = None
    if body_text.strip():
        try:
            parsed = json.loads(body_text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise bad_request(f"A batch part's body is not valid JSON: {exc}.") from None
        if not isinstance(parsed, dict):
            raise bad_request("A batch part's body must be a JSON object.")
        body = parsed
    path, params = _relative(m.group(2))
    content_id = mime.get("content-id") or headers.get("content-id")
    return BatchItem(m.group(1), path, params, {**headers}, body, content_id)


def _relative(url: str) -> tuple[str, list[tuple[str, str]]]:
    parts = urlsplit(url)
    path = parts.path
    for version in API_VERSIONS:
        marker = f"/api/data/{version}/"
        if marker in path:
            path = path.split(marker, 1)[1]
    return path.lstrip("/"), parse_qsl(parts.query, keep_blank_values=True)


class BatchRunner:
    """Executes parts in order, each through the same service as a plain request.

    The parts are not counted against the service protection request limit: Dataverse counts a batch
    as one request there (its execution time counts in full, and entitlement limits count each part).
    """

    def __init__(self, svc: DataverseService, caller: Ref, prefer: str) -> None:
        self.svc = svc
        self.caller = caller
        self.continue_on_error = parse_prefer([prefer]).continue_on_error
        self.changes: list[Change] = []

    def run(self, parts: list[Part]) -> tuple[int, bytes, str]:
        boundary = f"batchresponse_{uuid.uuid4()}"
        out: list[str] = []
        for part in parts:
            if isinstance(part, ChangeSet):
                ok, text = self._changeset(part)
            else:
                response = self._one(part, {})
                ok, text = response.status < 400, _http_part(response, None)
                self.changes.extend(response.changes)  # a write outside a change set fires webhooks too
            if not ok and not self.continue_on_error:
                failed_status = _status_of(text)
                return failed_status, _multipart(boundary, [text]), f"multipart/mixed; boundary={boundary}"
            out.append(text)
        return 200, _multipart(boundary, out), f"multipart/mixed; boundary={boundary}"

    def _one(self, item: BatchItem, content_ids: dict[str, Ref]) -> ApiResponse:
        request = ApiRequest(item.method, item.path, item.params, item.headers, item.body, self.caller)
        response = self.svc.execute(request, content_ids)
        return response

    def _changeset(self, changeset: ChangeSet) -> tuple[bool, str]:
        boundary = f"changesetresponse_{uuid.uuid4()}"
        content_ids: dict[str, Ref] = {}
        texts: list[str] = []
        try:
            with self.svc.store.transaction() as tx:
                for item in changeset.items:
                    response = self._one(item, content_ids)
                    if response.status >= 400:
                        raise _Rollback(_http_part(response, item.content_id))
                    if item.content_id and response.changes:
                        first = response.changes[0]
                        content_ids[f"${item.content_id}"] = Ref(first.table, first.id)
                    texts.append(_http_part(response, item.content_id))
                changes = list(tx.changes)
        except _Rollback as failure:
            inner = _multipart(boundary, [failure.text]).decode()
            return False, f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"
        self.changes.extend(changes)
        inner = _multipart(boundary, texts).decode()
        return True, f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"


class _Rollback(Exception):
    def __init__(self, text: str) -> None:
        super().__init__("change set failed")
        self.text = text


def _http_part(response: ApiResponse, content_id: str | None) -> str:
    lines = ["Content-Type: application/http", "Content-Transfer-Encoding: binary"]
    if content_id:
        lines.append(f"Content-ID: {content_id}")
    reason = HTTPStatus(response.status).phrase if response.status in HTTPStatus._value2member_map_ else ""
    lines += ["", f"HTTP/1.1 {response.status} {reason}"]
    headers = {"OData-Version": "4.0", **response.headers}
    if "OData-EntityId" in headers:
        headers.setdefault("Location", headers["OData-EntityId"])
    body = ""
    if response.body is not None:
        headers["Content-Type"] = response.content_type
        body = response.body if isinstance(response.body, str) else dumps(response.body).decode()
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines += ["", body]
    return "\r\n".join(lines)


def _status_of(text: str) -> int:
    m = re.search(r"HTTP/1\.1 (\d{3})", text)
    return int(m.group(1)) if m else 400


def _multipart(boundary: str, parts: list[str]) -> bytes:
    chunks = [f"--{boundary}\r\n{p}\r\n" for p in parts]
    return ("".join(chunks) + f"--{boundary}--\r\n").encode()
