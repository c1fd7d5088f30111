"""`ferry run`: the engine, its pollers and workers, and the control API with the webhook receivers."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
import socket
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass
from typing import Any

import uvicorn

from ferry.access import AccessPolicy, AccessStore
from ferry.alerts import alerting
from ferry.api import control_app
from ferry.api.flows import sync_flow, workflow_flow
from ferry.api.health import Telemetry
from ferry.console import mount_console
from ferry.core.errors import ConfigError, FerryError
from ferry.engine.intake import Poller
from ferry.engine.reconcile import Reconciler, reconcile_every
from ferry.engine.retry import RetryPolicy
from ferry.engine.runtime import Engine
from ferry.engine.store.series import FlowKind
from ferry.run.assemble import Assembly
from ferry.run.sampler import sample_every

log = logging.getLogger("ferry.run")


@dataclass(frozen=True, slots=True)
class Listen:
    host: str = "127.0.0.1"
    port: int = 7070
    #: The URL systems use to reach this process (defaults to http://host:port).
    public_url: str | None = None

    @property
    def url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


class Runner:
    """One running project: serves until `stop()` (or SIGINT/SIGTERM), then shuts down cleanly."""

    def __init__(
        self, assembly: Assembly, listen: Listen, *, workers: int = 64, retry: RetryPolicy | None = None
    ) -> None:
        self.assembly = assembly
        self.listen = listen
        self.engine = Engine(
            assembly.store,
            assembly.syncs,
            assembly.connectors,
            workers=workers,
            retry=retry,
            webhook_secrets=assembly.webhook_secrets,
            workflows=assembly.workflows,
        )
        self.alerting = alerting(assembly.project, assembly.store, self.engine.breakers)
        self.reconciler = Reconciler(
            assembly.store, self.engine.syncs, assembly.connectors, processor=self.engine.processor
        )
        settings = assembly.project.spec.console
        secure = settings.secure_cookies
        if secure is None:
            secure = self.listen.url.startswith("https://")
        self.access = AccessPolicy(AccessStore(assembly.store), settings, secure_cookies=secure)
        flows = [sync_flow(s, assembly.poll_seconds.get(s.name)) for s in assembly.syncs]
        flows += [workflow_flow(w) for w in assembly.workflows]
        kinds: dict[str, FlowKind] = {s.name: "sync" for s in assembly.syncs}
        kinds |= {w.name: "workflow" for w in assembly.workflows}
        self.telemetry = Telemetry(assembly.http_stats, kinds, self.engine.settled)
        self.app = control_app(
            assembly.store,
            breakers=self.engine.breakers,
            extra_routes=self.engine.receiver.routes(),
            alerting=self.alerting,
            access=self.access,
            flows=flows,
            project=assembly.project,
            resume=self.engine.resume,
            specs=self.engine.syncs,
            reconciler=self.reconciler,
            telemetry=self.telemetry,
            connectors=assembly.connectors,
        )
        mount_console(self.app, self.access, project=assembly.project.spec.name, directory=str(assembly.project.root))
        self.server: uvicorn.Server | None = None
        self.subscriptions: dict[str, str] = {}

    def bind(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.listen.host else socket.AF_INET
        # IPPROTO_TCP named, so asyncio turns Nagle's algorithm off on each connection (else a response
        # written in two parts waits ~40 ms for the peer's delayed ACK).
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.listen.host, self.listen.port))
        except OSError as exc:
            sock.close()
            raise ConfigError(
                f"Cannot listen on {self.listen.host}:{self.listen.port} ({exc.strerror}); stop what uses it or "
                "choose another address with --listen."
            ) from None
        sock.listen(1024)
        if self.listen.port == 0:  # a free port was asked for: webhooks must be sent to the one chosen
            self.listen = dataclasses.replace(self.listen, port=sock.getsockname()[1])
        return sock

    async def subscribe(self) -> None:
        """Ask each pushing system to send its changes here; a refusal leaves that side to polling."""
        for name, entities in self.assembly.webhook_entities.items():
            hooks = self.assembly.connectors[name].webhooks
            if hooks is None:
                continue
            url = f"{self.listen.url}/hooks/{name}"
            try:
                self.subscriptions[name] = await hooks.subscribe(url, entities, self.assembly.webhook_secrets[name])
                log.info("%s sends changes to %s for %s", name, url, ", ".join(entities))
            except FerryError as exc:
                log.warning("%s did not accept the webhook subscription (%s); polling instead", name, exc.message)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[Runner]:
        """Start serving, subscribing, polling and working; stop cleanly on exit."""
        sock = self.bind()
        scheduled: list[asyncio.Task[None]] = []
        config = uvicorn.Config(self.app, log_level="warning", access_log=False, lifespan="off")
        self.server = uvicorn.Server(config)
        self.server.config.install_signal_handlers = False  # type: ignore[attr-defined]
        serving = asyncio.create_task(self.server.serve(sockets=[sock]))
        try:
            while not self.server.started:
                if serving.done():
                    serving.result()
                await asyncio.sleep(0.01)
            if not await self.access.people.users() and self.access.settings.login == "local":
                log.warning(
                    "no one can log in to the console yet: add an admin with `ferry users add %s NAME --role admin`",
                    self.assembly.project.root,
                )
            await self.subscribe()
            polled = [p for p in self.engine.pollers if self._polls(p)]
            store = self.assembly.store
            first = [p for p in polled if await store.get_cursor(p.spec.name, p.side) is None]
            if first:
                await self._read_first(first)
            triggers = [p for p in self.engine.trigger_pollers if self._polls(p)]
            for poller in triggers:
                if await store.get_cursor(poller.spec.name, poller.side) is None:
                    await self._pass_history(poller)
            self.engine.start_workers()
            self.alerting.base_url = self.listen.url
            self.engine.tasks.append(asyncio.create_task(self.alerting.run(self.engine.stopping), name="ferry-alerts"))
            sampler = sample_every(store, self.engine.stopping, flows=frozenset(self.telemetry.flows))
            self.engine.tasks.append(asyncio.create_task(sampler, name="ferry-sampler"))
            for poller in [*polled, *triggers]:
                interval = self.assembly.poll_seconds.get(poller.spec.name) or 60.0
                self.engine.tasks.append(
                    asyncio.create_task(poller.run(interval, self.engine.stopping), name="ferry-poller")
                )
            scheduled = [asyncio.create_task(task, name="ferry-reconcile-schedule") for task in self._schedules()]
            yield self
        finally:
            for task in scheduled:
                task.cancel()
            await asyncio.gather(*scheduled, return_exceptions=True)
            await self.reconciler.aclose()
            await self.engine.stop()
            self.server.should_exit = True
            await serving
            sock.close()

    def _schedules(self) -> list[Coroutine[Any, Any, None]]:
        """One loop per sync whose project says `reconcile: {every: ...}`."""
        return [
            reconcile_every(self.reconciler, sync.name, float(sync.reconcile.every), heal=sync.reconcile.heal)
            for sync in self.assembly.project.syncs
            if sync.reconcile.every is not None
        ]

    def _polls(self, poller: Poller) -> bool:
        """Without webhooks a side must be polled; with them, polling (if configured) catches what was missed."""
        interval = self.assembly.poll_seconds.get(poller.spec.name)
        return interval is not None or poller.spec.side(poller.side).connection not in self.subscriptions

    async def _read_first(self, pollers: list[Poller]) -> None:
        """Read sides never read before (a first run, or a sync new to the project) whole, before any
        record settles, so their records are paired through the read's match index, not a look-up each."""
        log.info("first run: reading every record of %s", ", ".join(f"{p.spec.name} {p.side}" for p in pollers))
        try:
            await self.engine.read_all(pollers=pollers)
        except FerryError as exc:  # a system down at start: polling reads on from where this stopped
            log.warning("the first read did not finish (%s); polling will carry on with it", exc.message)
        self.engine.tasks.append(asyncio.create_task(self.engine.forget_indexes(), name="ferry-indexes"))

    async def _pass_history(self, poller: Poller) -> None:
        """A workflow's first start: records that exist already start no run unless it says `history: run`."""
        plan = self.engine.workflows[poller.spec.name]
        discard = plan.trigger.history == "skip"
        try:
            seen = await poller.poll_once(discard=discard)
        except FerryError as exc:
            log.warning(
                "the first read of %s's trigger did not finish (%s); polling carries on", plan.name, exc.message
            )
            return
        if discard:
            log.info(
                "workflow %s: %d existing %s passed over; new ones start runs", plan.name, seen, plan.trigger.entity
            )

    async def run_until_signalled(self) -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        try:
            async with self.running():
                log.info(
                    "ferry is running: console and control API at %s, webhooks at %s/hooks/",
                    self.listen.url,
                    self.listen.url,
                )
                await stop.wait()
                log.info("stopping: finishing the records in hand")
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
