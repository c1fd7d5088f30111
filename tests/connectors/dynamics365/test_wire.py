"""The wire formats on their own: literals, key URLs, multipart batches, cursors, webhook bodies."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from ferry.connectors.dynamics365 import SECRET_HEADER, DataverseWebhooks
from ferry.connectors.dynamics365.batch import BatchRequest, ChangeSet, PartResponse, decode, encode
from ferry.connectors.dynamics365.cursors import Cursor
from ferry.connectors.dynamics365.entities import Catalog, Table
from ferry.connectors.dynamics365.errors import describe, field_of
from ferry.connectors.dynamics365.query import equals, key_segment, literal, version_of
from ferry.connectors.dynamics365.writes import Writer
from ferry.core.errors import AuthError, PermanentError, RateLimitedError, ValidationError
from ferry.core.records import WriteKind, WriteOp
from ferry.http import Response

GUID = "6d81597f-0f9f-e711-8122-000d3aa2331c"


def test_literals_follow_odata_quoting() -> None:
    assert literal("O'Brien") == "'O''Brien'"
    assert literal(GUID, "Edm.Guid") == GUID
    assert literal(GUID, "Edm.String") == f"'{GUID}'"  # a GUID held in a text column stays text
    assert literal(1001, "Edm.String") == "'1001'"
    assert (literal(3), literal(Decimal("12.50")), literal(True), literal(None)) == ("3", "12.50", "true", "null")
    assert literal(datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)) == "2026-01-02T03:04:05Z"
    with pytest.raises(ValidationError):
        literal("not-a-guid", "Edm.Guid")


def test_equals_joins_every_pair() -> None:
    types = {"accountnumber": "Edm.String", "_parentcustomerid_value": "Edm.Guid"}
    flt = equals({"accountnumber": "A-1", "_parentcustomerid_value": GUID, "statecode": 0}, types)
    assert flt == f"accountnumber eq 'A-1' and _parentcustomerid_value eq {GUID} and statecode eq 0"


def test_key_segments_quote_and_escape_alternate_keys() -> None:
    types = {"accountnumber": "Edm.String"}
    assert key_segment({"accountid": GUID}, "accountid", {}) == GUID
    assert key_segment({"accountnumber": "A-1001"}, "accountid", types) == "accountnumber='A-1001'"
    assert key_segment({"accountnumber": "A/1 & 'B'#"}, "accountid", types) == (
        "accountnumber='A%2F1%20%26%20''B''%23'"
    )


def test_versions_come_out_of_weak_etags() -> None:
    assert version_of('W/"1200177"') == "1200177"
    assert version_of(None) is None


def test_a_batch_round_trips_through_multipart() -> None:
    content_type, body = encode(
        [
            BatchRequest("GET", "https://org.test/api/data/v9.2/accounts(1)"),
            ChangeSet(
                [
                    BatchRequest("POST", "https://org.test/api/data/v9.2/contacts", {"lastname": "Ng"}, {}, "1"),
                    BatchRequest(
                        "PATCH", "https://org.test/api/data/v9.2/accounts(2)", {"x@odata.bind": "$1"}, {}, "2"
                    ),
                ]
            ),
        ]
    )
    text = body.decode()
    boundary = content_type.split("boundary=")[1]
    assert text.startswith(f"--{boundary}\r\n") and text.endswith(f"--{boundary}--\r\n")
    assert "Content-ID: 2\r\n\r\nPATCH https://org.test/api/data/v9.2/accounts(2) HTTP/1.1" in text
    assert '{"x@odata.bind":"$1"}' in text


def test_a_batch_answer_decodes_into_one_entry_per_part() -> None:
    answer = (
        "--batchresponse_1\r\n"
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n{"name":"a\u2028b"}\r\n'
        "--batchresponse_1\r\n"
        "Content-Type: multipart/mixed; boundary=changesetresponse_2\r\n\r\n"
        "--changesetresponse_2\r\n"
        "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 7\r\n\r\n"
        'HTTP/1.1 400 Bad Request\r\nREQ_ID: x\r\n\r\n{"error":{"code":"0x80044331","message":"too long"}}\r\n'
        "--changesetresponse_2--\r\n"
        "--batchresponse_1--\r\n"
    )
    single, changeset = decode("multipart/mixed; boundary=batchresponse_1", answer.encode())
    assert (single[0].status, single[0].json()) == (200, {"name": "a\u2028b"})
    (failed,) = changeset
    assert (failed.status, failed.content_id, failed.headers["req_id"]) == (400, "7", "x")


def test_dataverse_and_entra_error_bodies_are_described() -> None:
    def response(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
        return Response(status, "", headers or {}, json.dumps(body).encode(), "https://org.test/x")

    assert describe(response(404, {"error": {"code": "0x80040217", "message": "gone"}})) == "gone (0x80040217)"
    entra = {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret.\r\nTrace ID: 1"}
    assert describe(response(401, entra)) == "AADSTS7000215: Invalid client secret."
    challenge = {"www-authenticate": 'Bearer error=invalid_token, error_description="The token expired", x=y'}
    assert describe(Response(401, "", challenge, b"", "u")) == "The token expired"
    assert field_of("The length of the 'subject' attribute of the 'task' entity exceeded the maximum") == "subject"


def test_a_cursor_from_elsewhere_is_refused() -> None:
    assert Cursor.decode("delta:accounts?$deltatoken=1").kind == "delta"
    with pytest.raises(PermanentError, match="not issued by the Dynamics 365 connector"):
        Cursor.decode("modifiedSince=2026-01-01")


def _hooks() -> DataverseWebhooks:
    async def no_catalog() -> Any:
        raise AssertionError("parse must not fetch metadata")

    return DataverseWebhooks(None, no_catalog, lambda: None)  # type: ignore[arg-type]


def _context(**changes: Any) -> bytes:
    context: dict[str, Any] = {
        "MessageName": "Update",
        "PrimaryEntityName": "msdyn_productinventory",
        "PrimaryEntityId": GUID.upper(),
        "OperationId": str(uuid.UUID(int=7)),
        "OperationCreatedOn": "/Date(1506409448000-0700)/",
        "InputParameters": [{"key": "Target", "value": {"RowVersion": "42", "Attributes": []}}],
    }
    context.update(changes)
    return json.dumps(context).encode()


def test_parse_reads_a_context_without_metadata() -> None:
    (notice,) = _hooks().parse({SECRET_HEADER: "s"}, _context(), "s")
    assert (notice.entity, notice.id, notice.kind, notice.version) == (
        "msdyn_productinventories",
        GUID,
        "upsert",
        "42",
    )
    assert notice.occurred_at == datetime(2017, 9, 26, 7, 4, 8, tzinfo=UTC)  # the same instant, in -07:00
    assert notice.event_id == f"{uuid.UUID(int=7)}:{GUID}"


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[]", _context(PrimaryEntityId=None), _context(PrimaryEntityId="12"), _context(MessageName=3)],
)
def test_parse_refuses_malformed_bodies(body: bytes) -> None:
    with pytest.raises(ValidationError):
        _hooks().parse({SECRET_HEADER: "s"}, body, "s")


def test_parse_checks_the_secret_before_reading_the_body() -> None:
    with pytest.raises(AuthError):
        _hooks().parse({SECRET_HEADER: "wrong"}, b"not json", "s")


class _Refusing:
    """Stands in for the client: every request inside each `$batch` answers `status`."""

    def __init__(self, status: int) -> None:
        self.status = status

    def url(self, path: str) -> str:
        return f"https://org.test/api/data/v9.2/{path}"

    async def batch(self, parts: list[Any]) -> list[list[PartResponse]]:
        body = json.dumps({"error": {"code": "0x80072322", "message": "Slow down."}}).encode()
        return [[PartResponse(self.status, "", {"retry-after": "7"}, body)] for _ in parts]


async def _catalog() -> Catalog:
    return Catalog([Table("account", "accounts", "accountid", {"accountid": "Edm.Guid", "name": "Edm.String"})])


async def test_a_write_where_every_op_was_throttled_raises() -> None:
    writer = Writer(_Refusing(429), _catalog, batch_size=10)  # type: ignore[arg-type]
    with pytest.raises(RateLimitedError) as caught:
        await writer.write([WriteOp(WriteKind.CREATE, "accounts", {"name": f"n{n}"}) for n in range(3)])
    assert caught.value.retry_after == 7


async def test_refused_ops_are_results_not_raised() -> None:
    writer = Writer(_Refusing(400), _catalog, batch_size=10)  # type: ignore[arg-type]
    results = await writer.write([WriteOp(WriteKind.CREATE, "accounts", {"name": "n"})])
    assert [type(r.error) for r in results] == [ValidationError]
