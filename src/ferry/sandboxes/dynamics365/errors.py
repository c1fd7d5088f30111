"""Dataverse's error shape: `{"error": {"code": "0x8004…", "message": …}}` with the HTTP status it uses."""

from __future__ import annotations

from ferry.sandboxes.dynamics365.schema import Table

# Codes integration code matches on (specs/dataverse.md §1.9).
OBJECT_DOES_NOT_EXIST = "0x80040217"
VERSION_MISMATCH = "0x80060882"
DUPLICATE_RECORD = "0x80040237"
DUPLICATE_KEY = "0x80060892"
ODATA_PARSE = "0x80060888"
PAYLOAD_ERROR = "0x80048d19"
LENGTH_VALIDATION = "0x80044331"
OPTION_OUT_OF_RANGE = "0x8004431a"
INVALID_ARGUMENT = "0x80040203"
NOT_SUPPORTED = "0x80040800"
REQUESTS_LIMIT = "0x80072322"
CONCURRENCY_LIMIT = "0x80072326"
BATCH_CONTENT_ID = "0x8006088a"


class ODataError(Exception):
    """A failure answered in Dataverse's JSON error shape."""

    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def body(self) -> dict[str, dict[str, str]]:
        return {"error": {"code": self.code, "message": self.message}}


def not_found(table: Table, row_id: str) -> ODataError:
    return ODataError(404, OBJECT_DOES_NOT_EXIST, f"{table.logical_name} With Id = {row_id} Does Not Exist")


def bad_request(message: str, code: str = ODATA_PARSE) -> ODataError:
    return ODataError(400, code, message)


def unknown_property(name: str, table: Table) -> ODataError:
    return bad_request(
        f"The property '{name}' does not exist on type '{table.entity_type}'. Make sure to only use property "
        "names that are defined by the type or mark the type as open type."
    )


def payload_error(table: Table, detail: str) -> ODataError:
    return bad_request(
        f"Error identified in Payload provided by the user for Entity :'{table.set_name}', For more information on "
        f"this error please follow this help link https://go.microsoft.com/fwlink/?linkid=2195293  ---->  "
        f"InnerException : Microsoft.OData.ODataException: {detail}",
        PAYLOAD_ERROR,
    )
