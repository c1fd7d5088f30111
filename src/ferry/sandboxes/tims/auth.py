"""Who is calling: an `X-API-Key`, or a bearer token from the OAuth 2.0 client-credentials endpoint.

Two API keys exist: one may write, one may only read (writes with it get 403). Tokens carry the scopes
asked for at `/oauth/token` (`read`, `write`; both by default). Token endpoint errors use RFC 6749's
`error`/`error_description` members inside the problem+json body, so OAuth libraries understand them.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, unquote

from starlette.datastructures import Headers

from ferry.sandboxes.kit import Clock
from ferry.sandboxes.tims.problems import Problem

API_KEY = "tims-sandbox-key"
READONLY_API_KEY = "tims-sandbox-readonly-key"
CLIENT_ID = "ferry-tims-client"
CLIENT_SECRET = "tims-sandbox-secret"
TOKEN_LIFETIME_S = 3600
SCOPES = ("read", "write")
REALM = 'realm="tims"'


@dataclass(frozen=True, slots=True)
class Caller:
    #: Rate limits and idempotency keys are kept per principal (`key:...` or `client:...`).
    principal: str
    can_write: bool


@dataclass(frozen=True, slots=True)
class Grant:
    client_id: str
    scopes: tuple[str, ...]
    expires_at: datetime


def _unauthorized(detail: str, challenge: str, slug: str = "unauthorized") -> Problem:
    return Problem(401, detail, slug=slug, headers={"WWW-Authenticate": challenge})


def _oauth_error(status: int, error: str, description: str, headers: dict[str, str] | None = None) -> Problem:
    return Problem(
        status,
        description,
        slug=f"oauth-{error.replace('_', '-')}",
        headers=headers or {},
        extra={"error": error, "error_description": description},
    )


class Authenticator:
    """Checks credentials and issues tokens; tokens outlive `/_sandbox/reset` (they are not data)."""

    def __init__(self, clock: Clock, tokens_expired: Callable[[], bool]) -> None:
        self.clock = clock
        self.tokens_expired = tokens_expired
        self.api_keys = {API_KEY: True, READONLY_API_KEY: False}
        self.clients = {CLIENT_ID: CLIENT_SECRET}
        self.tokens: dict[str, Grant] = {}

    def identify(self, headers: Headers) -> Caller:
        """The caller, or a 401 problem carrying the right `WWW-Authenticate` challenge."""
        api_key = headers.get("x-api-key")
        if api_key is not None:
            if api_key in self.api_keys:
                return Caller(f"key:{api_key}", self.api_keys[api_key])
            raise _unauthorized("The API key is not valid.", f'APIKey {REALM}, header="X-API-Key"')
        authorization = headers.get("authorization")
        if authorization is None:
            raise _unauthorized(
                "Authentication is required: send X-API-Key, or a bearer token from POST /oauth/token.",
                f"Bearer {REALM}",
            )
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise _unauthorized("Use a bearer token from POST /oauth/token, or X-API-Key.", f"Bearer {REALM}")
        grant = self.tokens.get(token)
        if grant is None:
            raise _unauthorized(
                "The access token is not valid.",
                f'Bearer {REALM}, error="invalid_token", error_description="The access token is not valid"',
                "invalid-token",
            )
        if self.tokens_expired() or self.clock.now() >= grant.expires_at:
            raise _unauthorized(
                "The access token expired; request a new one.",
                'Bearer error="invalid_token", error_description="The access token expired"',
                "token-expired",
            )
        return Caller(f"client:{grant.client_id}", "write" in grant.scopes)

    def token(self, headers: Headers, body: bytes) -> dict[str, Any]:
        """Answer a client-credentials token request (form body, client auth by form or Basic)."""
        content_type = headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/x-www-form-urlencoded":
            raise _oauth_error(400, "invalid_request", "Send the token request as application/x-www-form-urlencoded.")
        try:
            parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            raise _oauth_error(400, "invalid_request", "The request body is not UTF-8.") from None
        repeated = [name for name, values in parsed.items() if len(values) > 1]
        if repeated:
            raise _oauth_error(400, "invalid_request", f"Parameters given more than once: {', '.join(repeated)}.")
        form = {name: values[0] for name, values in parsed.items()}
        grant_type = form.get("grant_type")
        if not grant_type:
            raise _oauth_error(400, "invalid_request", "grant_type is required.")
        if grant_type != "client_credentials":
            raise _oauth_error(
                400, "unsupported_grant_type", f"Only client_credentials is supported, not {grant_type}."
            )
        client_id = self._client(headers, form)
        scopes = self._scopes(form.get("scope"))
        self._forget_expired()
        token = secrets.token_urlsafe(32)
        self.tokens[token] = Grant(client_id, scopes, self.clock.now() + timedelta(seconds=TOKEN_LIFETIME_S))
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": TOKEN_LIFETIME_S,
            "scope": " ".join(scopes),
        }

    def _client(self, headers: Headers, form: dict[str, str]) -> str:
        authorization = headers.get("authorization", "")
        basic = authorization[:6].lower() == "basic "
        if basic:
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError):
                decoded = ""
            raw_id, _, raw_secret = decoded.partition(":")
            # RFC 6749 section 2.3.1: both halves are form-encoded before Basic encoding.
            client_id, secret = unquote(raw_id.replace("+", " ")), unquote(raw_secret.replace("+", " "))
        else:
            client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or self.clients.get(client_id) != secret or not secret:
            challenge = f"Basic {REALM}"
            raise _oauth_error(401, "invalid_client", "Client authentication failed.", {"WWW-Authenticate": challenge})
        return client_id

    def _scopes(self, requested: str | None) -> tuple[str, ...]:
        if requested is None or not requested.strip():
            return SCOPES
        wanted = requested.split()
        unknown = [s for s in wanted if s not in SCOPES]
        if unknown:
            raise _oauth_error(400, "invalid_scope", f"Unknown scope {unknown[0]!r}; use read and/or write.")
        return tuple(s for s in SCOPES if s in wanted)

    def _forget_expired(self) -> None:
        now = self.clock.now()
        for token in [t for t, grant in self.tokens.items() if grant.expires_at <= now]:
            del self.tokens[token]
