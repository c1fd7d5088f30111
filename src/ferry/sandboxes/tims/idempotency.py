"""`Idempotency-Key` on POST: a repeat returns the first answer and creates nothing.

Keys belong to the caller (two API clients may use the same key independently) and last 24 hours.
Only successful answers are kept: a refused request changed nothing, so repeating it simply runs it
again, which lets a client fix what was refused (create the missing customer) and retry.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import orjson

from ferry.sandboxes.tims.problems import Problem

KEY_LIFETIME = timedelta(hours=24)
MAX_KEY_LENGTH = 255


@dataclass(frozen=True, slots=True)
class StoredResponse:
    fingerprint: str
    status: int
    body: bytes
    headers: dict[str, str]
    stored_at: datetime


def fingerprint(method: str, path: str, payload: dict[str, Any]) -> str:
    """Same request, same fingerprint, whatever the key order or spacing of the JSON."""
    canonical = orjson.dumps(payload, default=_exact, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(f"{method} {path}\n".encode() + canonical).hexdigest()


def _exact(value: object) -> str:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot fingerprint {type(value).__name__}")


def check_key(key: str) -> None:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise Problem(400, f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", slug="validation")


class IdempotencyCache:
    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], StoredResponse] = {}

    def lookup(self, principal: str, key: str, print_: str, now: datetime) -> StoredResponse | None:
        """The stored answer to replay, None for a new key, or 422 if the key was used for another request."""
        entry = self._entries.get((principal, key))
        if entry is None or now - entry.stored_at > KEY_LIFETIME:
            return None
        if entry.fingerprint != print_:
            raise Problem(
                422,
                "This Idempotency-Key was already used with a different request; use a new key for a new request.",
                slug="idempotency-key-reuse",
            )
        return entry

    def remember(self, principal: str, key: str, entry: StoredResponse) -> None:
        if len(self._entries) % 1000 == 999:
            self._forget_expired(entry.stored_at)
        self._entries[(principal, key)] = entry

    def _forget_expired(self, now: datetime) -> None:
        stale = [k for k, e in self._entries.items() if now - e.stored_at > KEY_LIFETIME]
        for k in stale:
            del self._entries[k]
