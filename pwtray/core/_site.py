"""A site: one gateway with its client, poller, history and commands.

The app holds a list of sites (one today): everything per gateway lives here, so a second
gateway is a second ``Site``, not a second copy of the app.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace

from pwtray.core._cloud import CloudService
from pwtray.core._commands import Commands
from pwtray.core._config import Config, Gateway
from pwtray.core._factory import make_client
from pwtray.core._tasks import Supervisor
from pwtray.gateway import GatewayClient, GatewayError
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import SYSTEM_CLOCK, Clock, Event, HistoryStore, Poller, Snapshot

log = logging.getLogger(__name__)
Listener = Callable[[Snapshot, list[Event]], None]


class Site:
    def __init__(
        self,
        config: Config,
        *,
        password: str | None,
        history: HistoryStore | None,
        supervisor: Supervisor,
        clock: Clock = SYSTEM_CLOCK,
        keep_session: bool = True,
        cloud: CloudService | None = None,
    ) -> None:
        self.config = config
        self.history = history
        self.clock = clock
        self._supervisor = supervisor
        self._keep_session = keep_session
        self._client = self._client_for(config.gateway, password)
        # pwtray may start during an outage, or after one: the history says when the grid went
        # down (the same outage goes on) or when it last came back.
        open_outage, restored = history.grid_since() if history is not None else (None, None)
        self.poller = Poller(
            self._client,
            schedule=config.schedule,
            settings=config.events,
            history=history,
            clock=clock,
            outage_started_at=open_outage,
            restored_at=restored,
        )
        self.commands = Commands(self, cloud)
        self._closing: set[asyncio.Task[None]] = set()
        if history is not None:
            history.on_problem = self._history_problem

    @property
    def client(self) -> GatewayClient:
        return self._client

    @property
    def snapshot(self) -> Snapshot:
        return self.poller.snapshot

    @property
    def configured(self) -> bool:
        return self.config.gateway.configured

    @property
    def task_name(self) -> str:
        return f"poller {self.config.gateway.host or '(not set up)'}"

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        return self.poller.subscribe(listener)

    def announce(self, events: list[Event]) -> None:
        """Events the app raised itself (an action failed, a shutdown is pending): every
        listener hears them with the current snapshot, as it hears the monitor's."""
        self.poller.announce(events)

    # ------------------------------------------------------------------ life cycle
    def start(self) -> None:
        """Start polling (once set up); the supervisor restarts it should it ever fail."""
        if self.configured and not self._supervisor.running(self.task_name):
            self._supervisor.start(self.task_name, self.poller.run)

    async def stop(self) -> None:
        self._supervisor.cancel(self.task_name)
        if self.commands.cloud is not None:
            await self.commands.cloud.close()
        await self.poller.stop()
        if self._closing:
            await asyncio.gather(*self._closing, return_exceptions=True)
        await self._client.aclose()

    def attach_history(self, history: HistoryStore) -> None:
        """A history that could not be opened at start works now: record from here on."""
        history.retention = self.config.retention
        history.on_problem = self._history_problem
        self.history = history
        self.poller.history = history

    def _history_problem(self, problem: str | None) -> None:
        if problem is not None:
            at = self.clock.wall()
            event = Event(EventKind.HISTORY_FAILING, Severity.WARNING, at, {"reason": problem})
            self.poller.announce([event])

    # ------------------------------------------------------------------ changes
    def apply(self, config: Config) -> None:
        """New preferences: schedule, thresholds and retention take effect at once."""
        self.config = config
        self._client.login_pause_s = config.schedule.fast_s  # at most one login per poll
        self.poller.schedule = config.schedule
        self.poller.settings = config.events
        if self.history is not None:
            self.history.retention = config.retention

    def connect(self, gateway: Gateway, password: str | None) -> None:
        """A new address, certificate or password: a new client; polling resumes at once."""
        was = self.task_name
        self.config = _with_gateway(self.config, gateway)
        old, self._client = self._client, self._client_for(gateway, password)
        self.poller.replace_client(self._client)
        closing = asyncio.ensure_future(self._close(old))
        self._closing.add(closing)
        closing.add_done_callback(self._closing.discard)
        if was != self.task_name:
            self._supervisor.cancel(was)
        self.start()

    def _client_for(self, gateway: Gateway, password: str | None) -> GatewayClient:
        client = make_client(
            gateway.host or "127.0.0.1:9",  # not set up: never polled
            password=password,
            email=gateway.email,
            fingerprint=gateway.fingerprint,
            keep_session=self._keep_session,
        )
        # After a login that failed for any reason but the password, no new one for a whole
        # poll interval: the monitor sends at most one login per cycle, whatever fails.
        client.login_pause_s = self.config.schedule.fast_s
        return client

    @staticmethod
    async def _close(client: GatewayClient) -> None:
        with contextlib.suppress(GatewayError, OSError):
            await client.aclose()


def _with_gateway(config: Config, gateway: Gateway) -> Config:
    return replace(config, gateway=gateway)
