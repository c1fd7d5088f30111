"""Errors as TIMS answers them: `application/problem+json` (RFC 9457).

Every refusal in the sandbox is a `Problem` raised where the reason is known and turned into a
response in one place, so the shape never drifts between handlers.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from ferry.sandboxes.kit import JSONResponse

PROBLEM_TYPE_PREFIX = "urn:tims:problem:"

# The default `type` slug for each status when the raise site does not name a more specific one.
_DEFAULT_SLUGS: dict[int, str] = {
    400: "validation",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "duplicate",
    412: "version-mismatch",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "business-rule",
    429: "rate-limited",
    500: "internal-error",
    502: "bad-gateway",
    503: "unavailable",
    504: "gateway-timeout",
}


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One entry of a problem's `errors` list: which field, and what is wrong with it."""

    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass
class Problem(Exception):
    """A refusal to send back as problem+json; raise it anywhere below the HTTP layer."""

    status: int
    detail: str
    slug: str | None = None
    errors: list[FieldProblem] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    #: Extension members (RFC 9457 section 3.2), e.g. the id of the record a duplicate collides with.
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.detail}"

    @property
    def type_uri(self) -> str:
        return PROBLEM_TYPE_PREFIX + (self.slug or _DEFAULT_SLUGS.get(self.status, "error"))

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type_uri,
            "title": _title(self.status),
            "status": self.status,
            "detail": self.detail,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_json() for e in self.errors]
        body.update(self.extra)
        return body

    def response(self, instance: str | None = None) -> JSONResponse:
        return problem_response(self.status, self.body(instance), self.headers)


def problem_response(status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body, status_code=status, headers=headers, media_type="application/problem+json")


def validation_problem(errors: list[FieldProblem], detail: str | None = None) -> Problem:
    """400 listing every field that is wrong, so a client can fix them all in one round trip."""
    fields = ", ".join(dict.fromkeys(e.field for e in errors))
    return Problem(400, detail or f"The request has invalid fields: {fields}.", errors=errors)


def rule_problem(slug: str, detail: str, field_name: str | None = None, **extra: Any) -> Problem:
    """422: the request is well formed but a business rule refuses it."""
    errors = [FieldProblem(field_name, detail)] if field_name else []
    return Problem(422, detail, slug=slug, errors=errors, extra=extra)


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
