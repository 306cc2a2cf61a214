"""Shut down, hibernate or suspend this computer when the house runs on the Powerwall and the
charge or the estimated time left falls below the user's threshold. Off by default.

The policy (:class:`ShutdownPolicy`, a site listener) decides on live readings only:

* off grid and below a threshold → a **countdown** (default 60 s, on the site's clock): a critical
  ``SHUTDOWN_PENDING`` event with the seconds left, and NUT clients are told ``FSD`` at once;
* the user may :meth:`~ShutdownPolicy.cancel` it (the notification's Cancel): no new countdown
  until the grid or the charge is back;
* the grid coming back, or the charge and the time left recovering past their threshold plus a
  margin, cancels it too (``SHUTDOWN_CANCELLED`` with the reason) and withdraws ``FSD``;
* at the end of the countdown the computer is shut down, hibernated or suspended the platform's
  proper way (:func:`default_backend`), or in a **dry run** the decision is only recorded.

After that nothing more happens until the grid or the charge is back: a computer woken from
suspend during the same outage is not put to sleep again.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import subprocess
import sys
from dataclasses import dataclass
from typing import Any, Protocol

from pwtray.core._site import Site
from pwtray.core._tasks import Supervisor
from pwtray.core._ups import UpsService
from pwtray.gateway import GridState
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Event, Snapshot
from pwtray.settings import Settings

log = logging.getLogger(__name__)

CHARGE_MARGIN_PERCENT = 3.0  # recovered: the charge this far above its threshold ...
TIME_MARGIN_MIN_S = 300.0  # ... and the time left this far above its own (or 20 % of it)
TIME_MARGIN_SHARE = 0.2
TASK = "shutdown countdown"
DBUS_TIMEOUT_S = 10.0
COMMAND_TIMEOUT_S = 30.0


class PowerAction(enum.Enum):
    POWEROFF = "poweroff"
    HIBERNATE = "hibernate"
    SUSPEND = "suspend"


class Phase(enum.Enum):
    WATCHING = "watching"
    COUNTDOWN = "countdown"
    HELD = "held"  # the user cancelled: nothing until the grid or the charge is back
    DONE = "done"  # the computer was asked (or a dry run recorded it): likewise


class Reason(enum.Enum):
    """Why a countdown started, or why it was cancelled."""

    CHARGE = "charge"
    TIME_LEFT = "time_left"
    USER = "user"
    GRID = "grid"
    RECOVERED = "recovered"
    DISABLED = "disabled"


@dataclass(frozen=True)
class ShutdownConfig:
    enabled: bool = False
    what: PowerAction = PowerAction.POWEROFF
    charge_below_percent: float = 10.0  # 0: not used
    time_left_below_s: float = 600.0  # 0: not used
    countdown_s: float = 60.0
    dry_run: bool = False


def shutdown_config(settings: Settings, *, demo: bool = False) -> ShutdownConfig:
    """The demo never shuts down the computer it is shown on: always a dry run there."""
    s = settings.shutdown
    return ShutdownConfig(
        enabled=s.enabled,
        what=PowerAction(s.what),
        charge_below_percent=s.charge_below_percent,
        time_left_below_s=s.time_left_below_min * 60.0,
        countdown_s=s.countdown_s,
        dry_run=s.dry_run or demo,
    )


@dataclass(frozen=True)
class ShutdownState:
    phase: Phase = Phase.WATCHING
    what: PowerAction = PowerAction.POWEROFF
    deadline: float | None = None  # wall-clock seconds at which the countdown ends
    reason: Reason | None = None
    dry_run: bool = False


@dataclass(frozen=True)
class DryRun:
    """What a dry run would have done, and when."""

    at: float
    what: PowerAction
    reason: Reason


VERBS = {
    PowerAction.POWEROFF: "shut down",
    PowerAction.HIBERNATE: "hibernate",
    PowerAction.SUSPEND: "suspend",
}


class PowerError(Exception):
    """The system would not shut down, hibernate or suspend; the message says why, for people."""


class PowerBackend(Protocol):
    async def perform(self, what: PowerAction) -> None:
        """Ask the system to do ``what``; :class:`PowerError` when it will not."""
        ...


# ---------------------------------------------------------------------- the decision
def low(snapshot: Snapshot, config: ShutdownConfig) -> Reason | None:
    """Why this reading calls for a shutdown (live, off grid, below a threshold), if it does."""
    if not (snapshot.connectivity.live and snapshot.off_grid):
        return None
    soe, left = snapshot.soe_percent, snapshot.estimates.time_to_empty_s
    if config.charge_below_percent > 0 and soe is not None and soe < config.charge_below_percent:
        return Reason.CHARGE
    if config.time_left_below_s > 0 and left is not None and left < config.time_left_below_s:
        return Reason.TIME_LEFT
    return None


def recovered(snapshot: Snapshot, config: ShutdownConfig) -> Reason | None:
    """Whether this live reading ends the danger: the grid back, or the charge and time left
    past their thresholds plus a margin (so a reading near the line does not flap)."""
    if not snapshot.connectivity.live:
        return None
    if snapshot.grid in (GridState.CONNECTED, GridState.TRANSITION_TO_GRID):
        return Reason.GRID
    soe, left = snapshot.soe_percent, snapshot.estimates.time_to_empty_s
    charge_ok = config.charge_below_percent <= 0 or (
        soe is not None and soe >= config.charge_below_percent + CHARGE_MARGIN_PERCENT
    )
    margin = max(TIME_MARGIN_MIN_S, TIME_MARGIN_SHARE * config.time_left_below_s)
    time_ok = (
        config.time_left_below_s <= 0 or left is None or left >= config.time_left_below_s + margin
    )
    return Reason.RECOVERED if charge_ok and time_ok else None


class ShutdownPolicy:
    """The site listener that decides; :meth:`cancel` is the user's way out of a countdown."""

    def __init__(
        self,
        site: Site,
        supervisor: Supervisor,
        ups: UpsService | None,
        config: ShutdownConfig,
        *,
        backend: PowerBackend | None = None,
    ) -> None:
        self._site = site
        self._supervisor = supervisor
        self._ups = ups
        self.config = config
        self._backend = backend
        self._state = ShutdownState(what=config.what, dry_run=config.dry_run)
        self.dry_runs: list[DryRun] = []  # what dry runs would have done

    @property
    def state(self) -> ShutdownState:
        return self._state

    @property
    def counting_down(self) -> bool:
        return self._state.phase is Phase.COUNTDOWN

    def seconds_left(self) -> float | None:
        """Of the countdown, if one runs."""
        deadline = self._state.deadline
        if self._state.phase is not Phase.COUNTDOWN or deadline is None:
            return None
        return max(0.0, deadline - self._site.clock.wall())

    # ------------------------------------------------------------------ input
    def apply(self, config: ShutdownConfig) -> None:
        """New settings; switched off, a countdown is cancelled and FSD withdrawn."""
        self.config = config
        if config.enabled:
            return
        if self._state.phase is Phase.COUNTDOWN:
            self._cancel(Reason.DISABLED, Phase.WATCHING)
        elif self._state.phase is not Phase.WATCHING:
            self._declare(False)
            self._state = ShutdownState(what=config.what, dry_run=config.dry_run)

    def on_update(self, snapshot: Snapshot, events: list[Event]) -> None:
        phase = self._state.phase
        if phase is Phase.WATCHING:
            reason = low(snapshot, self.config) if self.config.enabled else None
            if reason is not None:
                self._begin(snapshot, reason)
            return
        back = recovered(snapshot, self.config)
        if back is None:
            return
        if phase is Phase.COUNTDOWN:
            self._cancel(back, Phase.WATCHING)
        else:
            log.info("the grid or the charge is back: the shutdown policy watches again")
            self._declare(False)
            self._state = ShutdownState(what=self.config.what, dry_run=self.config.dry_run)

    def cancel(self) -> bool:
        """The user's Cancel: True if a countdown was stopped."""
        if self._state.phase is not Phase.COUNTDOWN:
            return False
        self._cancel(Reason.USER, Phase.HELD)
        return True

    async def stop(self) -> None:
        await self._supervisor.cancel_and_wait(TASK)

    # ------------------------------------------------------------------ the countdown
    def _begin(self, snapshot: Snapshot, reason: Reason) -> None:
        config, clock = self.config, self._site.clock
        deadline = clock.wall() + config.countdown_s
        self._state = ShutdownState(Phase.COUNTDOWN, config.what, deadline, reason, config.dry_run)
        log.warning(
            "off grid and %s below the threshold: %s in %.0f s%s",
            "the charge" if reason is Reason.CHARGE else "the time left",
            config.what.value,
            config.countdown_s,
            " (dry run)" if config.dry_run else "",
        )
        self._declare(True)
        data: dict[str, float | str] = {
            "countdown_s": config.countdown_s,
            "deadline": deadline,
            "what": config.what.value,
            "reason": reason.value,
            "dry_run": 1.0 if config.dry_run else 0.0,
        }
        if snapshot.soe_percent is not None:
            data["soe"] = snapshot.soe_percent
        if snapshot.estimates.time_to_empty_s is not None:
            data["time_to_empty_s"] = snapshot.estimates.time_to_empty_s
        data["threshold"] = (
            config.charge_below_percent if reason is Reason.CHARGE else config.time_left_below_s
        )
        self._announce_soon(EventKind.SHUTDOWN_PENDING, Severity.CRITICAL, data)
        self._supervisor.start(TASK, self._count_down, restart=False)

    async def _count_down(self) -> None:
        await self._site.clock.sleep(self.config.countdown_s)
        if self._state.phase is not Phase.COUNTDOWN:
            return
        config, state = self.config, self._state
        reason = state.reason or Reason.CHARGE
        self._state = ShutdownState(Phase.DONE, config.what, None, reason, config.dry_run)
        data: dict[str, float | str] = {
            "what": config.what.value,
            "dry_run": 1.0 if config.dry_run else 0.0,
        }
        soe = self._site.snapshot.soe_percent
        if soe is not None:
            data["soe"] = soe
        if config.dry_run:
            self.dry_runs.append(DryRun(self._site.clock.wall(), config.what, reason))
            log.warning("dry run: pwtray would now %s this computer", VERBS[config.what])
            self._announce(EventKind.SHUTDOWN_STARTED, Severity.CRITICAL, data)
            return
        log.warning("asking the system to %s this computer", VERBS[config.what])
        self._announce(EventKind.SHUTDOWN_STARTED, Severity.CRITICAL, data)
        backend = self._backend or default_backend()
        try:
            await backend.perform(config.what)
        except PowerError as exc:
            log.error("could not %s this computer: %s", VERBS[config.what], exc)
            data["problem"] = str(exc)
            self._announce(EventKind.SHUTDOWN_FAILED, Severity.CRITICAL, data)

    def _cancel(self, reason: Reason, then: Phase) -> None:
        self._supervisor.cancel(TASK)
        log.warning("shutdown countdown cancelled (%s)", reason.value)
        self._declare(False)
        config = self.config
        self._state = ShutdownState(then, config.what, None, reason, config.dry_run)
        data: dict[str, float | str] = {"reason": reason.value, "what": config.what.value}
        soe = self._site.snapshot.soe_percent
        if soe is not None:
            data["soe"] = soe
        self._announce_soon(EventKind.SHUTDOWN_CANCELLED, Severity.INFO, data)

    def _declare(self, shutdown: bool) -> None:
        if self._ups is not None:
            self._ups.declare_shutdown(shutdown)

    def _announce(self, kind: EventKind, severity: Severity, data: dict[str, float | str]) -> None:
        self._site.announce([Event(kind, severity, self._site.clock.wall(), data)])

    def _announce_soon(
        self, kind: EventKind, severity: Severity, data: dict[str, float | str]
    ) -> None:
        """From inside a listener: told once the current update has reached every listener."""
        event = Event(kind, severity, self._site.clock.wall(), data)
        asyncio.get_running_loop().call_soon(self._site.announce, [event])


# ---------------------------------------------------------------------- the platforms' ways
LOGIND_METHODS = {
    PowerAction.POWEROFF: "PowerOff",
    PowerAction.HIBERNATE: "Hibernate",
    PowerAction.SUSPEND: "Suspend",
}


class LogindBackend:
    """systemd-logind over D-Bus (org.freedesktop.login1): asks ``Can…`` first, then calls
    ``PowerOff``/``Hibernate``/``Suspend`` with interactive=false (no password prompt)."""

    def __init__(self, bus: str = "SYSTEM", timeout_s: float = DBUS_TIMEOUT_S) -> None:
        self.bus = bus  # "SYSTEM", or a bus address (tests run a fake logind on a private bus)
        self.timeout_s = timeout_s

    async def perform(self, what: PowerAction) -> None:
        from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call  # Linux only
        from jeepney.io.asyncio import open_dbus_router

        method = LOGIND_METHODS[what]
        manager = DBusAddress(
            "/org/freedesktop/login1",
            bus_name="org.freedesktop.login1",
            interface="org.freedesktop.login1.Manager",
        )

        async def call(router: Any, name: str, signature: str | None, body: tuple[Any, ...]) -> Any:
            reply = await asyncio.wait_for(
                router.send_and_get_reply(new_method_call(manager, name, signature, body)),
                self.timeout_s,
            )
            if reply.header.message_type is MessageType.error:
                detail = reply.body[0] if reply.body else ""
                error = reply.header.fields.get(HeaderFields.error_name, "an error")
                raise PowerError(f"logind refused {name}: {error} {detail}".strip())
            return reply.body

        try:
            async with asyncio.timeout(3 * self.timeout_s), open_dbus_router(self.bus) as router:
                (answer,) = await call(router, f"Can{method}", None, ())
                if answer != "yes":
                    raise PowerError(_cannot(what, str(answer)))
                await call(router, method, "b", (False,))
        except (OSError, EOFError, TimeoutError, ValueError, RuntimeError) as exc:
            # no system bus, a bus address jeepney cannot use, no answer in time
            why = str(exc) or "no answer in time"
            raise PowerError(
                f"the system's login manager (logind) could not be asked over D-Bus: {why}"
            ) from exc


def _cannot(what: PowerAction, answer: str) -> str:
    verb = VERBS[what]
    if answer == "challenge":
        return (
            f"this user may {verb} the computer only after typing a password (polkit), which "
            "pwtray cannot do; allow it for this user, or let a NUT client do the shutdown"
        )
    if answer == "na":
        return f"this computer cannot {verb} (not supported here, or not set up)"
    return f"the system does not let this user {verb} the computer (logind says “{answer}”)"


class CommandBackend:
    """A system program per action (Windows' shutdown.exe, macOS's pmset/osascript)."""

    def __init__(self, commands: dict[PowerAction, list[str] | str]) -> None:
        self.commands = commands  # a string: why that action is not possible here

    async def perform(self, what: PowerAction) -> None:
        command = self.commands[what]
        if isinstance(command, str):
            raise PowerError(command)
        try:
            process = await asyncio.create_subprocess_exec(
                *command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
            )
            out, _ = await asyncio.wait_for(process.communicate(), COMMAND_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            raise PowerError(f"{command[0]} could not be run: {exc}") from exc
        if process.returncode != 0:
            said = out.decode(errors="replace").strip().splitlines()
            raise PowerError(
                f"{command[0]} failed (exit code {process.returncode})"
                + (f": {said[-1]}" if said else "")
            )


class WindowsBackend(CommandBackend):
    """shutdown.exe for power off and hibernate; SetSuspendState (powrprof) for sleep."""

    def __init__(self, system_root: str = r"C:\Windows") -> None:
        shutdown = rf"{system_root}\System32\shutdown.exe"
        super().__init__(
            {
                PowerAction.POWEROFF: [shutdown, "/s", "/t", "0"],
                PowerAction.HIBERNATE: [shutdown, "/h"],
                PowerAction.SUSPEND: "",
            }
        )

    async def perform(self, what: PowerAction) -> None:
        if what is PowerAction.SUSPEND:
            await asyncio.to_thread(_suspend_windows)
            return
        await super().perform(what)


def _suspend_windows() -> None:
    if sys.platform == "win32":
        import ctypes

        # SetSuspendState(hibernate=False, force=False, wakeup_events_disabled=False). With
        # hibernation switched on, some Windows versions hibernate here instead of sleeping.
        if not ctypes.windll.powrprof.SetSuspendState(False, False, False):
            raise PowerError(f"Windows refused to sleep: {ctypes.FormatError()}")
        return
    raise PowerError("SetSuspendState exists on Windows only")


def macos_backend() -> CommandBackend:
    return CommandBackend(
        {
            PowerAction.POWEROFF: [
                "/usr/bin/osascript",
                "-e",
                'tell application "System Events" to shut down',
            ],
            PowerAction.SUSPEND: ["/usr/bin/pmset", "sleepnow"],
            PowerAction.HIBERNATE: (
                "macOS offers no hibernate a program may ask for; choose sleep (suspend) — "
                "with the Mac's hibernatemode set, sleep writes memory to disk too"
            ),
        }
    )


def default_backend() -> PowerBackend:
    """This platform's proper way."""
    if sys.platform == "win32":
        import os

        return WindowsBackend(os.environ.get("SYSTEMROOT", r"C:\Windows"))
    if sys.platform == "darwin":
        return macos_backend()
    return LogindBackend()
