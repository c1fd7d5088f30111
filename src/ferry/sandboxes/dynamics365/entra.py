"""An Entra ID (Azure AD) stand-in: client-credentials tokens, OpenID discovery, signing keys.

Tokens are RS256 JWTs shaped like the v1.0 tokens Dataverse receives (`aud` = the environment URL,
`appid`, `tid`, `oid`, `ver` "1.0"); the resource side (`verify`) refuses bad signatures, other
audiences and expired tokens, with the sandbox clock deciding what "expired" means.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ferry.sandboxes.kit.clock import Clock

TOKEN_LIFETIME = 3599


@dataclass(frozen=True, slots=True)
class AppRegistration:
    client_id: str
    client_secret: str
    object_id: str


@functools.cache
def _signing_key() -> rsa.RSAPrivateKey:
    # One key per process: generating RSA keys is slow, and every sandbox instance may share it.
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class TokenRefused(Exception):
    """The bearer token cannot be used; `description` goes in `WWW-Authenticate`."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


class EntraTenant:
    def __init__(self, tenant_id: str, app: AppRegistration, clock: Clock) -> None:
        self.tenant_id = tenant_id
        self.app = app
        self.clock = clock
        self._key = _signing_key()
        public_der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = base64.urlsafe_b64encode(hashlib.sha1(public_der).digest()).decode().rstrip("=")
        self.expire_all = False

    @property
    def issuer(self) -> str:
        return f"https://sts.windows.net/{self.tenant_id}/"

    # --- token endpoint ------------------------------------------------------------------------

    def issue(self, resource: str) -> tuple[str, int]:
        now = int(self.clock.now().timestamp())
        claims = {
            "aud": resource,
            "iss": self.issuer,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "aio": secrets.token_urlsafe(24),
            "appid": self.app.client_id,
            "appidacr": "1",
            "idp": self.issuer,
            "idtyp": "app",
            "oid": self.app.object_id,
            "rh": "0.AAAA" + secrets.token_urlsafe(12),
            "sub": self.app.object_id,
            "tid": self.tenant_id,
            "uti": secrets.token_urlsafe(16),
            "ver": "1.0",
        }
        token = jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": self.kid, "x5t": self.kid})
        return token, TOKEN_LIFETIME

    def check_client(self, client_id: str | None, client_secret: str | None) -> tuple[int, dict[str, Any]] | None:
        """An Entra-shaped error for unknown apps and wrong secrets; None when the client is good."""
        if client_id != self.app.client_id:
            return 400, self.error(
                "unauthorized_client",
                700016,
                f"Application with identifier '{client_id}' was not found in the directory '{self.tenant_id}'. "
                "This can happen if the application has not been installed by the administrator of the tenant "
                "or consented to by any user in the tenant.",
            )
        if client_secret is None or not secrets.compare_digest(client_secret, self.app.client_secret):
            return 401, self.error(
                "invalid_client",
                7000215,
                "Invalid client secret provided. Ensure the secret being sent in the request is the client secret "
                f"value, not the client secret ID, for a secret added to app '{self.app.client_id}'.",
            )
        return None

    def error(self, code: str, number: int, text: str) -> dict[str, Any]:
        trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
        stamp = self.clock.now().strftime("%Y-%m-%d %H:%M:%SZ")
        return {
            "error": code,
            "error_description": f"AADSTS{number}: {text}\r\nTrace ID: {trace}\r\nCorrelation ID: {correlation}\r\n"
            f"Timestamp: {stamp}",
            "error_codes": [number],
            "timestamp": stamp,
            "trace_id": trace,
            "correlation_id": correlation,
        }

    # --- discovery -----------------------------------------------------------------------------

    def openid_configuration(self, authority: str, *, v2: bool) -> dict[str, Any]:
        base = f"{authority}/{self.tenant_id}"
        suffix = "/v2.0" if v2 else ""
        return {
            "token_endpoint": f"{base}/oauth2{suffix}/token",
            "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
            "jwks_uri": f"{authority}/{self.tenant_id}/discovery{suffix}/keys",
            "response_modes_supported": ["query", "fragment", "form_post"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            "scopes_supported": ["openid", "profile", "email", "offline_access"],
            "issuer": f"https://login.microsoftonline.com/{self.tenant_id}/v2.0" if v2 else self.issuer,
            "request_uri_parameter_supported": False,
            "authorization_endpoint": f"{base}/oauth2{suffix}/authorize",
            "device_authorization_endpoint": f"{base}/oauth2{suffix}/devicecode",
            "http_logout_supported": True,
            "frontchannel_logout_supported": True,
            "end_session_endpoint": f"{base}/oauth2{suffix}/logout",
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "acr", "nonce", "tid", "ver", "oid"],
            "tenant_region_scope": "NA",
            "cloud_instance_name": "microsoftonline.com",
            "cloud_graph_host_name": "graph.windows.net",
            "msgraph_host": "graph.microsoft.com",
            "rbac_url": "https://pas.windows.net",
        }

    def jwks(self) -> dict[str, Any]:
        numbers = self._key.public_key().public_numbers()

        def b64(n: int) -> str:
            return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).decode().rstrip("=")

        return {
            "keys": [
                {
                    "kty": "RSA",
                    "use": "sig",
                    "kid": self.kid,
                    "x5t": self.kid,
                    "n": b64(numbers.n),
                    "e": b64(numbers.e),
                    "issuer": self.issuer,
                }
            ]
        }

    # --- resource side ---------------------------------------------------------------------------

    def verify(self, token: str, audiences: set[str]) -> dict[str, Any]:
        """The token's claims, or TokenRefused naming what is wrong with it."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key.public_key(),
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_exp": False, "verify_nbf": False, "verify_iat": False, "verify_aud": False},
            )
        except jwt.InvalidTokenError as exc:
            raise TokenRefused(f"Error during token validation! ({exc})") from None
        if claims.get("aud", "").rstrip("/") not in audiences:
            raise TokenRefused(f"The token's audience '{claims.get('aud')}' is not this environment.")
        if self.expire_all or claims.get("exp", 0) <= self.clock.now().timestamp():
            raise TokenRefused("The access token has expired.")
        return claims
