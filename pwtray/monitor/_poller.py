"""The poller: reads the gateway on three schedules and publishes snapshots and events.

It is the only place that decides when to talk to the gateway (STYLE.md habits 3, 6, 7), and it
never stops on its own:

* the reads due in one cycle (see ``_endpoints``) go out together, so a cycle costs about one
  round trip; whether the monitor is online is decided by the essential reads alone, and an
  optional read that fails only makes its own fields unknown;
* **supervised**: an unexpected error anywhere in a cycle is logged once (with its traceback),
  shown as the ``internal_error`` state, and polling goes on; a **watchdog** abandons a cycle
  that runs past ``cycle_deadline_s`` and marks the data stale — stale data never looks live;
* failures back off exponentially with jitter up to a cap; while the gateway does not even accept
  connections, a cheap TCP probe every fast interval notices it answering again, so recovery
  takes at most one fast interval rather than the rest of the back-off;
* a rejected password or a changed certificate stops polling until the user acts; a lock-out
  stops it until the lock-out ends;
* one cycle at a time: ``refresh()`` joins the cycle in flight instead of racing it;
* a wall-clock jump larger than the monotonic clock's (sleep/resume) triggers a full read.

Time comes from a :class:`Clock` (``SYSTEM_CLOCK`` unless a test passes a fake one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any, Protocol

from pwtray.gateway import (
    AuthenticationError,
    CertificateChangedError,
    EndpointNotSupportedError,
    GatewayClient,
    GatewayError,
    GatewayProtocolError,
    GatewayUnreachableError,
    LockedOutError,
    PermissionDeniedError,
    RequestRefusedError,
)
from pwtray.kinds import EventKind
from pwtray.monitor._assemble import Smoothing, assemble
from pwtray.monitor._clock import SYSTEM_CLOCK, Clock
from pwtray.monitor._connectivity import Link, Outcome, OutcomeKind, decisive, next_state
from pwtray.monitor._endpoints import ENDPOINTS, Endpoint, Health, Readings
from pwtray.monitor._events import Event, EventSettings, Memory, derive
from pwtray.monitor._schedule import Due, Schedule
from pwtray.monitor._snapshot import Connectivity, Snapshot

log = logging.getLogger(__name__)

SLEEP_JUMP_S = 30.0  # wall clock ahead of the monotonic clock by more than this: we slept
EXPECT_OPERATION_S = 600.0  # how long a change pwtray made itself is not reported as "elsewhere"

Listener = Callable[[Snapshot, list[Event]], None]
DEFAULT_SCHEDULE = Schedule()


class HistorySink(Protocol):
    """What the poller needs from a history store (``pwtray.monitor.HistoryStore``)."""

    def record(self, snapshot: Snapshot, events: list[Event]) -> None: ...


def health_of(error: BaseException) -> Health:
    """How an endpoint that raised ``error`` stands."""
    if isinstance(error, EndpointNotSupportedError):
        return Health.MISSING
    if isinstance(error, PermissionDeniedError | RequestRefusedError):
        return Health.REFUSED
    if isinstance(error, AuthenticationError | LockedOutError):
        return Health.NEEDS_LOGIN
    if isinstance(error, GatewayProtocolError) or not isinstance(error, GatewayError):
        return Health.UNREADABLE
    return Health.FAILING


class Poller:
    def __init__(
        self,
        client: GatewayClient,
        *,
        schedule: Schedule = DEFAULT_SCHEDULE,
        settings: EventSettings | None = None,
        history: HistorySink | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        outage_started_at: float | None = None,
        restored_at: float | None = None,
    ) -> None:
        self._client = client
        self._schedule = schedule
        self._due = Due(schedule)
        self.settings = settings or EventSettings()
        self._history = history
        self._clock = clock
        self._rng = rng or random.Random()
        self._listeners: list[Listener] = []
        self._snapshot = Snapshot(taken_at=clock.wall())
        # An outage already in the history (pwtray restarted during it) goes on as the same one.
        self._memory = Memory(outage_started_at=outage_started_at)
        self._readings = Readings()
        self._link = Link()
        self._smoothing = Smoothing()
        self._missing: set[str] = set()
        self._grid_since = restored_at  # when the grid last came back (from the history)
        self._expected: tuple[str, float, float] | None = None  # mode, reserve, until (wall)
        self._off_grid_expected_until = 0.0  # pwtray sent "go off grid" (wall time it expires)
        self._told: set[str] = set()  # internal faults logged in the current failure streak
        self._told_for_good: set[str] = set()  # faults of history and listeners: once per run
        self._cycle_task: asyncio.Task[Snapshot] | None = None
        self._wake = asyncio.Event()
        self._probe_armed = False
        self._probe_cycle = False
        self._last_wall = clock.wall()
        self._last_mono = clock.monotonic()
        self.parked = False  # waiting for its next cycle or probe
        self.parks = 0  # how often it has started waiting (tests step the clock by it)
        self.cycles = 0

    # ------------------------------------------------------------------ public
    @property
    def snapshot(self) -> Snapshot:
        return self._snapshot

    @property
    def readings(self) -> Readings:
        return self._readings

    @property
    def client(self) -> GatewayClient:
        return self._client

    @property
    def schedule(self) -> Schedule:
        return self._schedule

    @schedule.setter
    def schedule(self, schedule: Schedule) -> None:
        self._schedule = schedule
        self._due.schedule = schedule

    @property
    def history(self) -> HistorySink | None:
        return self._history

    @history.setter
    def history(self, history: HistorySink | None) -> None:
        self._history = history

    def announce(self, events: list[Event]) -> None:
        """Tell the listeners of events that did not come from a reading (a command's result,
        a history that stopped recording), with the current snapshot."""
        for listener in list(self._listeners):
            try:
                listener(self._snapshot, events)
            except Exception as exc:  # noqa: BLE001 - one listener must not stop the others
                self._tell(f"listener-{id(listener)}", "a listener failed", exc, for_good=True)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        """Call ``listener(snapshot, events)`` after every cycle; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    async def refresh(self) -> Snapshot:
        """Read everything now; joins a cycle already in flight rather than racing it."""
        self._due.everything_now()
        snapshot = await self._run_cycle()
        self._wake.set()  # the loop restarts its timer from this fresh reading
        return snapshot

    def set_credentials(self, password: str, email: str | None = None) -> None:
        """New credentials from the user: polling resumes at once."""
        self._client.set_credentials(password, email)
        self._resume()

    def replace_client(self, client: GatewayClient) -> None:
        """Switch to a new client (after the user trusted a new certificate, say)."""
        self._client = client
        self._missing.clear()
        self._resume()

    def expect_operation(self, mode: str, reserve_percent: float) -> None:
        """pwtray itself changed these: for a while, don't report the change as made elsewhere."""
        until = self._clock.wall() + EXPECT_OPERATION_S
        self._expected = (mode, round(reserve_percent, 1), until)

    def expect_off_grid(self) -> None:
        """pwtray itself is taking the house off grid: that is no outage (for a while)."""
        self._off_grid_expected_until = self._clock.wall() + EXPECT_OPERATION_S

    async def stop(self, grace_s: float = 2.0) -> None:
        """After cancelling ``run()``: let a cycle in flight finish (briefly), else cancel it.

        ``refresh()`` shields the cycle from its callers' cancellation, so without this a cycle
        could outlive the poller and find its client closed and its event loop gone.
        """
        task = self._cycle_task
        if task is None or task.done():
            return
        try:
            await asyncio.wait_for(asyncio.shield(task), grace_s)
        except TimeoutError:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        except asyncio.CancelledError:
            pass

    async def run(self) -> None:
        """Poll until cancelled. Nothing else ends it: every cycle is supervised."""
        while True:
            await self._run_cycle()
            await self._park()

    # ------------------------------------------------------------------ waiting
    def _resume(self) -> None:
        self._link = replace(
            self._link,
            connectivity=Connectivity.CONNECTING,
            failures=0,
            failing_since=None,
            error=None,
        )
        self._due.everything_now()
        self._publish(
            replace(self._snapshot, connectivity=Connectivity.CONNECTING, problem=None), []
        )
        self._wake.set()

    async def _park(self) -> None:
        link = self._link
        if link.connectivity.waits_for_user:
            log.info("polling paused until the user acts (%s)", link.connectivity.value)
            await self._wait(None)
        elif self._probe_armed:
            await self._wait_for_gateway(self._next_delay())
        else:
            await self._wait(self._next_delay())

    async def _wait(self, delay: float | None) -> bool:
        """Wait ``delay`` seconds on the clock (or for ever); True if woken early."""
        self._wake.clear()
        waiters: set[asyncio.Future[Any]] = {asyncio.ensure_future(self._wake.wait())}
        if delay is not None:
            waiters.add(asyncio.ensure_future(self._clock.sleep(delay)))
        self.parked = True
        self.parks += 1
        try:
            await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.parked = False
            for waiter in waiters:
                waiter.cancel()
        return self._wake.is_set()

    async def _wait_for_gateway(self, limit_s: float) -> None:
        """Until the back-off ends, try a TCP connection each fast interval; go on if it answers."""
        deadline = self._clock.monotonic() + limit_s
        while True:
            remaining = deadline - self._clock.monotonic()
            if remaining <= 0 or await self._wait(min(self._schedule.fast_s, remaining)):
                return
            if await self._client.reachable(self._schedule.probe_timeout_s):
                log.info("the gateway accepts connections again: reading now")
                self._probe_cycle = True
                return

    def _next_delay(self) -> float:
        link = self._link
        if link.connectivity is Connectivity.LOCKED_OUT and link.locked_until is not None:
            return max(1.0, link.locked_until - self._clock.wall())
        if link.failures:
            return self._schedule.backoff_s(link.failures, self._rng)
        return self._due.next_fast_s(self._clock.monotonic())

    # ------------------------------------------------------------------ one cycle
    async def _run_cycle(self) -> Snapshot:
        if self._cycle_task is None or self._cycle_task.done():
            self._cycle_task = asyncio.create_task(self._supervised(), name="pwtray-poll-cycle")
        return await asyncio.shield(self._cycle_task)

    async def _supervised(self) -> Snapshot:
        """A cycle that always ends with a published snapshot, whatever went wrong."""
        probe_cycle, self._probe_cycle = self._probe_cycle, False
        reading = asyncio.ensure_future(self._read())
        deadline = asyncio.ensure_future(self._clock.sleep(self._schedule.cycle_deadline_s))
        try:
            await asyncio.wait({reading, deadline}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            deadline.cancel()
        if reading.done():
            outcome, groups, resumed = reading.result()
        else:
            reading.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reading
            limit = self._schedule.cycle_deadline_s
            self._tell("watchdog", f"a poll cycle did not finish within {limit:.0f} s")
            why = GatewayUnreachableError(str(self._client.address), f"no answer in {limit:.0f} s")
            outcome, groups, resumed = Outcome(OutcomeKind.TIMED_OUT, why), [], None
        self.cycles += 1
        self._probe_armed = (
            outcome.kind is not OutcomeKind.OK
            and isinstance(outcome.error, GatewayUnreachableError)
            and not probe_cycle
        )
        try:
            return self._conclude(outcome, groups, resumed)
        except Exception as exc:  # noqa: BLE001 - a fault in pwtray: told once, polling goes on
            self._tell("conclude", "could not make sense of a reading", exc)
            snapshot = replace(
                self._snapshot,
                taken_at=self._clock.wall(),
                connectivity=Connectivity.INTERNAL_ERROR,
                problem=exc,
            )
            self._link = replace(
                self._link,
                connectivity=Connectivity.INTERNAL_ERROR,
                failures=self._link.failures + 1,
            )
            self._publish(snapshot, [])
            return snapshot

    async def _read(self) -> tuple[Outcome, list[Any], float | None]:
        """Read what is due; never raises (but for cancellation): failures become the outcome."""
        try:
            return await self._read_due()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - told once (with traceback), polling goes on
            self._tell("read", "reading the gateway failed inside pwtray", exc)
            return Outcome(OutcomeKind.INTERNAL, exc), [], None

    async def _read_due(self) -> tuple[Outcome, list[Any], float | None]:
        mono, wall = self._clock.monotonic(), self._clock.wall()
        resumed_after = None
        if (wall - self._last_wall) - (mono - self._last_mono) > SLEEP_JUMP_S:
            resumed_after = wall - self._last_wall
            log.info("woke from sleep after %.0f s: reading everything", resumed_after)
            self._due.everything_now()
        self._last_wall, self._last_mono = wall, mono
        groups = self._due.groups(mono)
        endpoints = [e for e in ENDPOINTS if e.group in groups and e.name not in self._missing]
        client = self._client
        results = await asyncio.gather(*(e.read(client) for e in endpoints), return_exceptions=True)
        wall = self._clock.wall()
        essential_ok, errors = False, []
        for endpoint, result in zip(endpoints, results, strict=True):
            if isinstance(result, asyncio.CancelledError):
                raise result
            if not isinstance(result, BaseException):
                self._readings = self._readings.updated(endpoint.name, result, wall)
                self._told_for_good.discard(f"{endpoint.name}:internal")
                essential_ok = essential_ok or endpoint.essential
                continue
            self._read_failed(endpoint, result)
            counts = endpoint.essential and not isinstance(result, EndpointNotSupportedError)
            if counts or isinstance(result, CertificateChangedError):
                errors.append(result)
        changed = next((e for e in errors if isinstance(e, CertificateChangedError)), None)
        if changed is not None:
            return Outcome(OutcomeKind.GATEWAY, changed), groups, resumed_after
        if essential_ok or not errors:
            return Outcome.ok(), groups, resumed_after
        error = decisive(errors)
        kind = OutcomeKind.GATEWAY if isinstance(error, GatewayError) else OutcomeKind.INTERNAL
        return Outcome(kind, error), groups, resumed_after

    def _read_failed(self, endpoint: Endpoint, error: BaseException) -> None:
        health = health_of(error)
        if health is Health.MISSING:
            self._missing.add(endpoint.name)
            log.info("this gateway has no %s; not asking again", endpoint.path)
        elif not isinstance(error, GatewayError):  # told once until this endpoint reads again
            self._tell(
                f"{endpoint.name}:internal",
                f"reading {endpoint.path} failed inside pwtray",
                error,
                for_good=True,
            )
        elif health is not Health.FAILING and self._readings.health.get(endpoint.name) != health:
            log.info("%s: %s (%s)", endpoint.path, health.value, error)
        self._readings = self._readings.failed(endpoint.name, health)

    def _conclude(self, outcome: Outcome, groups: list[Any], resumed: float | None) -> Snapshot:
        wall = self._clock.wall()
        before = self._link
        self._link = next_state(before, outcome, wall, self._schedule.offline_after_s)
        if outcome.kind is OutcomeKind.OK:
            self._due.done(groups, self._clock.monotonic())
            self._told.clear()
        self._log_transition(before, self._link)
        snapshot, self._smoothing = assemble(
            self._readings, self._link, self._smoothing, wall, resumed_after_s=resumed
        )
        expected = self._expected
        if expected is not None and wall > expected[2]:
            expected = self._expected = None
        events, self._memory = derive(
            self._snapshot,
            snapshot,
            self._memory,
            self.settings,
            expected_operation=None if expected is None else expected[:2],
            expected_off_grid=wall < self._off_grid_expected_until,
        )
        if self._memory.chosen_off_grid_since is not None:
            self._off_grid_expected_until = 0.0  # seen: the memory carries it from here
        snapshot = replace(
            snapshot,
            grid_since=self._grid_since_after(events),
            off_grid_by_choice=self._memory.chosen_off_grid_since is not None,
        )
        self._publish(snapshot, events)
        return snapshot

    def _grid_since_after(self, events: list[Event]) -> float | None:
        """When the grid went down (the outage's start) or came back (the restore)."""
        if self._memory.outage_started_at is not None:
            return self._memory.outage_started_at
        if self._memory.chosen_off_grid_since is not None:
            return self._memory.chosen_off_grid_since
        back = (EventKind.GRID_RESTORED, EventKind.BACK_ON_GRID)
        restored = [e.at for e in events if e.kind in back]
        if restored:
            self._grid_since = restored[-1]
        return self._grid_since  # None: up since before pwtray watched

    def _log_transition(self, before: Link, after: Link) -> None:
        if after.connectivity is before.connectivity:
            return
        if after.connectivity is Connectivity.ONLINE:
            if before.failures:
                log.info("gateway readings are live again")
        elif after.connectivity is not Connectivity.INTERNAL_ERROR:
            # One missed reading is routine on Wi-Fi; longer trouble deserves a warning.
            stale = after.connectivity is Connectivity.STALE
            log.log(
                logging.INFO if stale else logging.WARNING,
                "gateway %s: %s",
                after.connectivity.value,
                after.error,
            )

    def _tell(
        self, where: str, what: str, exc: BaseException | None = None, *, for_good: bool = False
    ) -> None:
        """Log an internal fault once (with its traceback): once per failure streak of the
        reads, or once per run for history and listeners — never once per cycle."""
        told = self._told_for_good if for_good else self._told
        key = where if where.endswith(":internal") else f"{where}:{type(exc).__name__}"
        if key in told:
            return
        told.add(key)
        log.error("%s; still trying", what, exc_info=exc)

    def _publish(self, snapshot: Snapshot, events: list[Event]) -> None:
        self._snapshot = snapshot
        if self._history is not None:
            try:
                self._history.record(snapshot, events)
            except Exception as exc:  # noqa: BLE001 - history must never stop monitoring
                self._tell("history", "could not record history", exc, for_good=True)
        for listener in list(self._listeners):
            try:
                listener(snapshot, events)
            except Exception as exc:  # noqa: BLE001 - one listener must not stop the others
                self._tell(
                    f"listener-{id(listener)}", "a snapshot listener failed", exc, for_good=True
                )
