"""How a request proves who sent it, what its role lets it do, and the CSRF check on what it changes.

Three ways in: a login session (cookie, for the console), an API token (`Authorization: Bearer`, for the
CLI, scripts and Prometheus), or, with `login: header`, a name set by a trusted reverse proxy. A change
made with the ambient credentials of a browser (session cookie, proxy header) must also carry the CSRF
token the console was given; a bearer token is not ambient, so it needs none.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Literal

from fastapi import HTTPException, Request

from ferry.access.people import AccessStore, Session, User
from ferry.access.roles import Role, allows
from ferry.project.models import ConsoleAccess

SESSION_COOKIE = "ferry_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Failed logins allowed per (address, name) in `_WINDOW` seconds before the next ones are refused.
_FAILURES, _WINDOW = 5, 300.0


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    role: Role
    via: Literal["session", "token", "header"]
    #: The token a browser's changes must carry (None for bearer tokens, which need none).
    csrf: str | None = None


class NotLoggedIn(HTTPException):
    """No credentials, or expired ones: the API answers 401, a console page sends to the login page."""

    def __init__(self) -> None:
        super().__init__(
            401,
            "Log in first: in the console at /login, or send 'Authorization: Bearer <token>' with a token from "
            "`ferry users token`.",
            headers={"WWW-Authenticate": "Bearer"},
        )


class AccessPolicy:
    """The access rules of one running project."""

    def __init__(self, people: AccessStore, settings: ConsoleAccess | None = None, *, secure_cookies: bool) -> None:
        self.people = people
        self.settings = settings or ConsoleAccess()
        self.secure_cookies = secure_cookies
        # Signs the CSRF tokens of proxy-authenticated people (they have no session row to keep one in).
        self._secret = secrets.token_bytes(32)
        self._failures: defaultdict[tuple[str, str], deque[float]] = defaultdict(deque)

    # --- who is it ------------------------------------------------------------------------------

    async def identify(self, request: Request) -> Principal | None:
        auth = request.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            user = await self.people.token_user(auth[7:].strip())
            if user is None:
                raise HTTPException(
                    401, "That API token is not valid (revoked, or mistyped); get a new one with `ferry users token`."
                )
            return Principal(user.name, user.role, "token")
        if self.settings.login == "header" and self._from_proxy(request):
            name = request.headers.get(self.settings.user_header)
            if name:
                return await self._proxied(request, name.strip())
        cookie = request.cookies.get(SESSION_COOKIE)
        if cookie:
            session = await self.people.session(cookie)
            if session is not None:
                return Principal(session.user.name, session.user.role, "session", session.csrf)
        return None

    def _from_proxy(self, request: Request) -> bool:
        return request.client is not None and request.client.host in self.settings.trusted_proxies

    async def _proxied(self, request: Request, name: str) -> Principal:
        known = await self.people.user(name)
        role: str = known.role if known else self.settings.default_role
        if self.settings.role_header and (claimed := request.headers.get(self.settings.role_header)):
            role = claimed.strip().lower()
        if role not in ("viewer", "operator", "admin"):
            raise HTTPException(403, f"The proxy gave '{name}' the role '{role}', which ferry does not know.")
        csrf = hmac.new(self._secret, name.encode(), hashlib.sha256).hexdigest()
        return Principal(name, role, "header", csrf)  # type: ignore[arg-type]

    # --- may it -------------------------------------------------------------------------------

    async def authorize(self, request: Request, needed: Role | None = None) -> Principal:
        """The principal of a request that may do what it asks, or the HTTP error that says why not."""
        principal = await self.identify(request)
        if principal is None:
            raise NotLoggedIn()
        request.state.user = principal
        unsafe = request.method not in SAFE_METHODS
        if unsafe and principal.csrf is not None:
            self._check_csrf(request, principal.csrf)
        needed = needed or ("operator" if unsafe else "viewer")
        if not allows(principal.role, needed):
            raise HTTPException(
                403,
                f"This needs the {needed} role and {principal.name} is {_article(principal.role)} {principal.role}; "
                "an admin can change roles on the Admin page or with `ferry users set`.",
            )
        return principal

    def _check_csrf(self, request: Request, expected: str) -> None:
        origin = request.headers.get("origin")
        if origin is not None and origin.split("://", 1)[-1] != request.headers.get("host", ""):
            raise HTTPException(403, f"Refused a change sent from another site ({origin}).")
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            raise HTTPException(
                403, f"The change did not carry this session's CSRF token (header {CSRF_HEADER}); reload the page."
            )

    # --- logging in -----------------------------------------------------------------------------

    async def log_in(self, remote: str, name: str, password: str) -> tuple[str, Session]:
        key = (remote, name)
        recent = self._failures[key]
        now = time.monotonic()
        while recent and recent[0] < now - _WINDOW:
            recent.popleft()
        if len(recent) >= _FAILURES:
            wait = int(recent[0] + _WINDOW - now) + 1
            raise HTTPException(
                429, f"Too many failed logins for {name}; try again in {wait} s.", headers={"Retry-After": str(wait)}
            )
        user: User | None = await self.people.check_password(name, password)
        if user is None:
            recent.append(now)
            raise HTTPException(401, "Wrong user name or password.")
        recent.clear()
        return await self.people.open_session(user)


def _article(role: str) -> str:
    return "an" if role[0] in "aeiou" else "a"
