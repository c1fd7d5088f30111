"""How changes get into the inbox: polling pages since a cursor, and receiving webhooks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ferry.connectors.contract import Connector
from ferry.core.errors import AuthError, CursorExpiredError, FerryError, ValidationError
from ferry.core.records import ChangeNotice, Record
from ferry.engine.retry import RetryPolicy
from ferry.engine.spec import Feed, SyncSpec
from ferry.engine.store.base import NewEvent, Side
from ferry.engine.store.sqlite import SqliteStore

log = logging.getLogger("ferry.intake")
MAX_WEBHOOK_BYTES = 5 * 1024 * 1024


def record_event(sync: str, side: Side, record: Record, source: str) -> NewEvent:
    return NewEvent(
        sync,
        side,
        record.id,
        kind="delete" if record.deleted else "upsert",
        version=record.version,
        payload=None if record.deleted else record.data,
        source=source,  # type: ignore[arg-type]
        occurred_at=record.modified_at,
    )


class Poller:
    """Reads one side of one sync page by page; each page and the cursor after it commit together."""

    def __init__(
        self,
        store: SqliteStore,
        spec: SyncSpec | Feed,
        side: Side,
        connector: Connector,
        *,
        page_size: int = 500,
        wake: Callable[[], None] = lambda: None,
        source: str = "poll",
    ) -> None:
        self.store = store
        self.spec = spec
        self.side = side
        self.connector = connector
        self.page_size = page_size
        self.wake = wake
        self.source = source
        self.seen = 0

    async def poll_once(
        self,
        on_page: Callable[[int], None] | None = None,
        on_records: Callable[[Sequence[Record]], None] | None = None,
        *,
        discard: bool = False,
    ) -> int:
        """Read every page available now; return how many records were read.

        `on_page` hears how many records each page held, `on_records` sees them (once persisted).
        With `discard`, only the cursor moves: what exists now is passed over (a workflow's history).
        """
        side = self.spec.side(self.side)
        cursor = await self.store.get_cursor(self.spec.name, self.side)
        total = 0
        while True:
            try:
                page = await self.connector.read(side.entity, cursor, page_size=self.page_size, **side.options)
            except CursorExpiredError:
                if cursor is None:
                    raise
                # The system forgot where we were: read everything again. Records already in step
                # settle without writes (field diffs), so a re-baseline costs reads, not duplicates.
                log.warning("read cursor of %s %s expired; reading everything again", self.spec.name, self.side)
                cursor = None
                continue
            events = [] if discard else [record_event(self.spec.name, self.side, r, self.source) for r in page.records]
            await self.store.enqueue(events, cursor=(self.spec.name, self.side, page.cursor))
            total += len(page.records)
            self.seen += len(events)
            if events:
                self.wake()
            if on_records is not None:
                on_records(page.records)
            if on_page is not None:
                on_page(len(events))
            cursor = page.cursor
            if not page.more:
                return total

    async def run(self, interval: float, stop: asyncio.Event, retry: RetryPolicy | None = None) -> None:
        """Poll now (catching up after downtime), then every `interval` seconds until `stop`."""
        policy = retry or RetryPolicy(base_seconds=2, max_seconds=300)
        failures = 0
        while not stop.is_set():
            wait = interval
            try:
                await self.poll_once()
                failures = 0
            except FerryError as exc:
                failures += 1
                wait = policy.delay(failures, getattr(exc, "retry_after", None))
                log.warning(
                    "polling %s %s failed (%s); next try in %.0f s", self.spec.name, self.side, exc.message, wait
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=wait)


class WebhookReceiver:
    """`POST /hooks/{connection}`: verify, turn notices into events, persist, then answer 200."""

    def __init__(
        self,
        store: SqliteStore,
        syncs: Sequence[SyncSpec | Feed],
        connectors: Mapping[str, Connector],
        secrets: Mapping[str, str],
        wake: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.syncs = syncs
        #: Told of every verified delivery (connection, notices), e.g. to wake workflow runs waiting on one.
        self.observers: list[Callable[[str, Sequence[ChangeNotice]], None]] = []
        self.connectors = connectors
        self.secrets = secrets
        self.wake = wake
        self.received = 0
        self.refused = 0

    def routes(self) -> list[Route]:
        return [Route("/hooks/{connection}", self.receive, methods=["POST"])]

    async def receive(self, request: Request) -> Response:
        name = request.path_params["connection"]
        connector = self.connectors.get(name)
        source = connector.webhooks if connector is not None else None
        if source is None or name not in self.secrets:
            return JSONResponse({"error": f"no webhook receiver for connection '{name}'"}, status_code=404)
        body = await request.body()
        if len(body) > MAX_WEBHOOK_BYTES:
            return JSONResponse({"error": "body too large"}, status_code=413)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            notices = source.parse(headers, body, self.secrets[name])
        except AuthError as exc:
            self.refused += 1
            log.warning("refused a webhook for %s from %s: %s", name, _client(request), exc.message)
            return JSONResponse({"error": "signature or secret did not match"}, status_code=401)
        except ValidationError as exc:
            self.refused += 1
            log.warning("refused a malformed webhook for %s: %s", name, exc.message)
            return JSONResponse({"error": exc.message}, status_code=400)
        events = self.events(name, notices)
        await self.store.enqueue(events)
        for observe in self.observers:
            observe(name, notices)
        self.received += 1
        if events:
            self.wake()
        return JSONResponse({"accepted": len(events)})

    def events(self, connection: str, notices: Sequence[ChangeNotice]) -> list[NewEvent]:
        events: list[NewEvent] = []
        for notice in notices:
            for spec in self.syncs:
                for side, s in spec.sides():
                    if s.connection != connection or s.entity != notice.entity:
                        continue
                    payload = notice.record.data if notice.record is not None else None
                    events.append(
                        NewEvent(
                            spec.name,
                            side,
                            notice.id,
                            kind=notice.kind,
                            version=notice.version,
                            payload=payload,
                            source="webhook",
                            event_id=notice.event_id,
                            occurred_at=notice.occurred_at,
                        )
                    )
        return events


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"
