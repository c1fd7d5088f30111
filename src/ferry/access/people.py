"""People, API tokens, login sessions and the log of their actions, kept in the project's store.

Passwords are kept as Argon2id hashes; tokens and session ids only as SHA-256 digests, so a copy of
the store gives no way in.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import re
import secrets
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ferry.access.roles import ROLES, Role
from ferry.core.errors import ConfigError
from ferry.engine.store.sqlite import SqliteStore

USER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
MIN_PASSWORD = 10
SESSION_SECONDS = 12 * 3600

_hasher = PasswordHasher()


@functools.cache
def _dummy() -> str:
    """Checked against when the user does not exist, so a wrong name takes as long as a wrong password."""
    return _hasher.hash(secrets.token_hex(16))


async def _hash(password: str) -> str:
    # Argon2 spends tens of milliseconds of CPU by design: off the event loop, which serves webhooks.
    return await asyncio.to_thread(_hasher.hash, check_password(password))


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: Role
    created_at: datetime
    has_password: bool


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class Action:
    id: int
    at: datetime
    actor: str
    role: str | None
    action: str
    target: str | None
    outcome: str
    remote: str | None


def check_user_name(name: str) -> str:
    if not USER_NAME.match(name):
        raise ConfigError(
            f"'{name}' is not a valid user name: use 1-64 letters, digits, '.', '_', '@' or '-', "
            "starting with a letter or digit."
        )
    return name


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise ConfigError(f"The password is too short: use at least {MIN_PASSWORD} characters.")
    return password


def check_role(role: str) -> Role:
    if role not in ROLES:
        raise ConfigError(f"'{role}' is not a role: use one of {', '.join(ROLES)}.")
    return role


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _user(row: sqlite3.Row | tuple[str, str, float, str | None]) -> User:
    return User(row[0], row[1], _dt(row[2]), row[3] is not None)  # type: ignore[arg-type]


class AccessStore:
    """The access tables of one project's store."""

    def __init__(self, store: SqliteStore) -> None:
        self._store = store

    # --- people ---------------------------------------------------------------------------------

    async def add_user(self, name: str, role: str, password: str | None) -> User:
        check_user_name(name)
        role = check_role(role)
        hashed = await _hash(password) if password is not None else None
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> bool:
            cur = c.execute(
                "INSERT OR IGNORE INTO users(name, role, password_hash, created_at, updated_at) VALUES (?,?,?,?,?)",
                (name, role, hashed, now, now),
            )
            return cur.rowcount == 1

        if not await self._store._run(work):
            raise ConfigError(f"There is already a user '{name}'; change it with `ferry users set` instead.")
        return User(name, role, _dt(now), hashed is not None)

    async def update_user(self, name: str, *, role: str | None = None, password: str | None = None) -> User:
        if role is not None:
            check_role(role)
        hashed = await _hash(password) if password is not None else None
        now = self._store.clock()

        def work(c: sqlite3.Connection) -> bool:
            sets, args = ["updated_at=?"], [now]
            if role is not None:
                sets.append("role=?")
                args.append(role)  # type: ignore[arg-type]
            if hashed is not None:
                sets.append("password_hash=?")
                args.append(hashed)  # type: ignore[arg-type]
                # A new password ends the sessions the old one opened.
                c.execute("DELETE FROM sessions WHERE user=?", (name,))
            cur = c.execute(f"UPDATE users SET {', '.join(sets)} WHERE name=?", (*args, name))
            return cur.rowcount == 1

        if not await self._store._run(work):
            raise self._unknown(name)
        user = await self.user(name)
        assert user is not None
        return user

    async def remove_user(self, name: str) -> None:
        def work(c: sqlite3.Connection) -> bool:
            return c.execute("DELETE FROM users WHERE name=?", (name,)).rowcount == 1

        if not await self._store._run(work):
            raise self._unknown(name)

    async def user(self, name: str) -> User | None:
        row = self._store._read(
            lambda c: c.execute(
                "SELECT name, role, created_at, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
        )
        return _user(row) if row else None

    async def users(self) -> list[User]:
        rows = self._store._read(
            lambda c: c.execute("SELECT name, role, created_at, password_hash FROM users ORDER BY name").fetchall()
        )
        return [_user(r) for r in rows]

    async def admins(self) -> int:
        return int(
            self._store._read(lambda c: c.execute("SELECT COUNT(*) FROM users WHERE role='admin'").fetchone())[0]
        )

    def _unknown(self, name: str) -> ConfigError:
        return ConfigError(f"There is no user '{name}'; `ferry users list` shows who there is.")

    # --- logging in -----------------------------------------------------------------------------

    async def check_password(self, name: str, password: str) -> User | None:
        """The user, if the password is theirs; None otherwise (the same time either way)."""
        row = self._store._read(
            lambda c: c.execute(
                "SELECT name, role, created_at, password_hash FROM users WHERE name=?", (name,)
            ).fetchone()
        )
        hashed = row[3] if row and row[3] else await asyncio.to_thread(_dummy)
        try:
            await asyncio.to_thread(_hasher.verify, hashed, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        return _user(row) if row and row[3] else None

    async def open_session(self, user: User) -> tuple[str, Session]:
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = self._store.clock()
        expires = now + SESSION_SECONDS

        def work(c: sqlite3.Connection) -> None:
            c.execute("DELETE FROM sessions WHERE expires_at < ?", (now,))
            c.execute(
                "INSERT INTO sessions(token_hash, user, csrf, created_at, expires_at) VALUES (?,?,?,?,?)",
                (digest(token), user.name, csrf, now, expires),
            )

        await self._store._run(work)
        return token, Session(user, csrf, _dt(expires))

    async def session(self, token: str) -> Session | None:
        row = self._store._read(
            lambda c: c.execute(
                "SELECT u.name, u.role, u.created_at, u.password_hash, s.csrf, s.expires_at"
                " FROM sessions s JOIN users u ON u.name = s.user WHERE s.token_hash=?",
                (digest(token),),
            ).fetchone()
        )
        if row is None or row[5] < self._store.clock():
            return None
        return Session(_user(row[:4]), row[4], _dt(row[5]))

    async def close_session(self, token: str) -> None:
        await self._store._run(lambda c: c.execute("DELETE FROM sessions WHERE token_hash=?", (digest(token),)))

    # --- API tokens -----------------------------------------------------------------------------

    async def issue_token(self, name: str, label: str) -> str:
        """A new token for scripts, Prometheus and the CLI; shown once, kept only as a digest."""
        if await self.user(name) is None:
            raise self._unknown(name)
        token = "ferry_" + secrets.token_urlsafe(32)
        now = self._store.clock()
        await self._store._run(
            lambda c: c.execute(
                "INSERT INTO api_tokens(token_hash, user, label, created_at) VALUES (?,?,?,?)",
                (digest(token), name, label, now),
            )
        )
        return token

    async def token_user(self, token: str) -> User | None:
        row = self._store._read(
            lambda c: c.execute(
                "SELECT u.name, u.role, u.created_at, u.password_hash FROM api_tokens t"
                " JOIN users u ON u.name = t.user WHERE t.token_hash=?",
                (digest(token),),
            ).fetchone()
        )
        return _user(row) if row else None

    async def revoke_tokens(self, name: str) -> int:
        return await self._store._run(lambda c: c.execute("DELETE FROM api_tokens WHERE user=?", (name,)).rowcount)

    # --- what people did ------------------------------------------------------------------------

    async def record(
        self, actor: str, role: str | None, action: str, target: str | None, outcome: str, remote: str | None
    ) -> None:
        now = self._store.clock()
        await self._store._run(
            lambda c: c.execute(
                "INSERT INTO actions(at, actor, role, action, target, outcome, remote) VALUES (?,?,?,?,?,?,?)",
                (now, actor, role, action, target, outcome, remote),
            )
        )

    async def actions(self, *, limit: int = 200, actor: str | None = None) -> list[Action]:
        def read(c: sqlite3.Connection) -> list[tuple[int, float, str, str | None, str, str | None, str, str | None]]:
            where, args = ("WHERE actor=?", (actor,)) if actor else ("", ())
            return c.execute(
                f"SELECT id, at, actor, role, action, target, outcome, remote FROM actions {where}"
                " ORDER BY id DESC LIMIT ?",
                (*args, limit),
            ).fetchall()

        return [Action(r[0], _dt(r[1]), *r[2:]) for r in self._store._read(read)]
