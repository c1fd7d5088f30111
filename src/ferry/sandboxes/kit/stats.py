"""Request and webhook counters behind `GET /_sandbox/stats`."""

from __future__ import annotations

import re
import threading
from collections import Counter
from typing import Any

# Record keys vary per request; count them under one route so the stats stay readable.
_KEY_IN_PARENS = re.compile(r"\([^)]*\)")
_ID_SEGMENT = re.compile(
    r"/(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})(?=/|$|\.)"
)

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE", "MERGE"})


def route_key(method: str, path: str) -> str:
    """`PATCH /api/data/v9.2/accounts(…)` and `GET /api/v1/customers/{id}` style keys."""
    path = _KEY_IN_PARENS.sub("(…)", path)
    path = _ID_SEGMENT.sub("/{id}", path)
    return f"{method} {path}"


class Stats:
    """Counters since start or the last reset; safe to bump from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.requests = 0
            self.writes = 0
            self.by_status: Counter[str] = Counter()
            self.by_route: Counter[str] = Counter()
            self.webhooks_sent = 0
            self.webhooks_failed = 0
            self.webhooks_dropped = 0

    def count_request(self, method: str, path: str, status: int, *, reads_only: bool = False) -> None:
        """Count one API request; `reads_only` marks a POST that changed nothing by its nature (a `$batch` of GETs)."""
        with self._lock:
            self.requests += 1
            if method in _WRITE_METHODS and not reads_only:
                self.writes += 1
            self.by_status[str(status)] += 1
            self.by_route[route_key(method, path)] += 1

    def count_webhook(self, *, delivered: bool, gave_up: bool = False) -> None:
        with self._lock:
            if delivered:
                self.webhooks_sent += 1
            else:
                self.webhooks_failed += 1
            if gave_up:
                self.webhooks_dropped += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "requests": self.requests,
                "writes": self.writes,
                "by_status": dict(self.by_status),
                "by_route": dict(self.by_route),
                "webhooks": {
                    "sent": self.webhooks_sent,
                    "failed": self.webhooks_failed,
                    "dropped": self.webhooks_dropped,
                },
            }
