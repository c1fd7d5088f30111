"""Errors in the shapes the Shopify Admin REST API uses, raised by handlers and rendered once.

Shopify's `errors` member is a string (`"Not Found"`), a map of parameter to message (400s), a
map of field to list of messages (422 validation), or a list of messages (some 422s).
"""

from __future__ import annotations

from typing import Any

from ferry.sandboxes.kit import JSONResponse

INVALID_TOKEN = "[API] Invalid API key or access token (unrecognized login or wrong password)"
PAGINATION_DOCS = "https://shopify.dev/api/usage/pagination-rest"


class ApiError(Exception):
    """Answer the request with `status` and `{"errors": errors}`."""

    def __init__(self, status: int, errors: Any, headers: dict[str, str] | None = None) -> None:
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors
        self.headers = headers or {}

    def response(self) -> JSONResponse:
        return JSONResponse({"errors": self.errors}, status_code=self.status, headers=self.headers)


def not_found() -> ApiError:
    return ApiError(404, "Not Found")


def missing_root(root: str) -> ApiError:
    """The body lacks its root key (`{"order": {...}}`) or is not JSON at all."""
    return ApiError(400, {root: "Required parameter missing or invalid"})


def bad_param(name: str, message: str = "Invalid value.") -> ApiError:
    return ApiError(400, {name: message})


def invalid(field: str, *messages: str) -> ApiError:
    """A 422 validation failure on one field."""
    return ApiError(422, {field: list(messages)})


def unprocessable(*messages: str) -> ApiError:
    """A 422 whose messages are not tied to a field (fulfillment and inventory rules)."""
    return ApiError(422, list(messages))


class Validation:
    """Collects field errors so a request is judged whole before anything changes."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ApiError(422, self.errors)
