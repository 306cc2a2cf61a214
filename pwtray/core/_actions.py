"""Actions: a command the user chose, run when something happens at the site.

Triggers (:class:`Trigger`): grid outage, grid restored, the charge below X % while off grid, the
estimated time left below N minutes while off grid, the gateway unreachable, the Powerwalls
stopped. Each fires once per occurrence: the outage, restore, unreachable and stopped events are
once per occurrence already (``pwtray.monitor.derive``); the two thresholds latch until the value
recovers past a margin or the grid is back (:func:`detect`, a pure function).

A run is a program and its arguments — never a shell — started with asyncio in a process group of
its own, with the facts in ``PWTRAY_*`` environment variables (:func:`environment`). Its output
(stdout and stderr together) goes to the log, bounded, and its last lines into the record. Past
its timeout the group is sent SIGTERM, and SIGKILL a few seconds later. Every run is recorded, in
memory and in a small private JSON-lines file in the data folder (:class:`RunLog`), so the window
can list runs and failures. A failing action is told once (an ``ACTION_FAILED`` event through the
site's listeners) and again only after it has worked in between. Nothing here waits for a process
inside a listener: runs are tasks under the :class:`Supervisor`, one at a time per action.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import enum
import logging
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from pwtray.core._site import Site
from pwtray.core._tasks import Supervisor
from pwtray.gateway import GridState
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Connectivity, Estimates, Event, Snapshot
from pwtray.settings import Settings, private_folder

log = logging.getLogger(__name__)

CHARGE_HYSTERESIS_PERCENT = 3.0  # a charge latch opens again 3 % above its threshold
TIME_HYSTERESIS_MIN_S = 300.0  # a time-left latch opens again 5 min (or 20 %) above its threshold
TIME_HYSTERESIS_SHARE = 0.2
KILL_GRACE_S = 5.0  # between SIGTERM and SIGKILL of a command past its timeout
DRAIN_GRACE_S = 2.0  # after the command exits, how long its output may still arrive
TAIL_LINES = 20  # last lines of output kept in a run's record
LINE_MAX = 500  # characters of one output line kept (the rest is cut)
LOG_LINES = 100  # output lines logged per run; the rest are counted
KEEP_RUNS = 100  # runs kept in memory for the window
LOG_MAX_BYTES = 256 * 1024  # the record file is compacted to half when it grows past this
RECORD_FILE = "actions.jsonl"


class Trigger(enum.Enum):
    """What an action runs on (the names of the ``[actions.*]`` tables in the settings)."""

    GRID_OUTAGE = "grid_outage"
    GRID_RESTORED = "grid_restored"
    CHARGE_BELOW = "charge_below"  # while off grid
    TIME_LEFT_BELOW = "time_left_below"  # while off grid
    UNREACHABLE = "unreachable"
    GATEWAY_STOPPED = "gateway_stopped"


_EVENT_TRIGGERS = {
    EventKind.GRID_OUTAGE: Trigger.GRID_OUTAGE,
    EventKind.GRID_RESTORED: Trigger.GRID_RESTORED,
    EventKind.UNREACHABLE: Trigger.UNREACHABLE,
    EventKind.GATEWAY_STOPPED: Trigger.GATEWAY_STOPPED,
}


class Outcome(enum.Enum):
    OK = "ok"  # exit code 0
    FAILED = "failed"  # another exit code, or ended by a signal it did not get from pwtray
    TIMED_OUT = "timed_out"  # still running at its timeout: stopped
    NOT_FOUND = "not_found"  # no such program
    NOT_STARTED = "not_started"  # found but could not be started (not executable, …)
    SKIPPED = "skipped"  # its previous run was still going
    STOPPED = "stopped"  # pwtray quit while it ran

    @property
    def failure(self) -> bool:
        return self not in (Outcome.OK, Outcome.SKIPPED, Outcome.STOPPED)


class ActionRun(msgspec.Struct, frozen=True, kw_only=True):
    """One run of an action, as the window lists it and the record file keeps it."""

    trigger: Trigger
    command: tuple[str, ...]
    started_at: float  # wall-clock seconds
    duration_s: float
    outcome: Outcome
    exit_code: int | None = None
    detail: str = ""  # the system's reason when it did not start
    output: tuple[str, ...] = ()  # its last lines (stdout and stderr together)
    timeout_s: float = 0.0
    test: bool = False  # run from Preferences' Test button, with sample values


# ---------------------------------------------------------------------- configuration
@dataclass(frozen=True)
class ActionSpec:
    command: tuple[str, ...]
    timeout_s: float = 60.0


@dataclass(frozen=True)
class ActionsConfig:
    commands: Mapping[Trigger, ActionSpec] = field(default_factory=dict)  # those with a command
    charge_below_percent: float = 20.0
    time_left_below_s: float = 1800.0

    def threshold(self, trigger: Trigger) -> float | None:
        if trigger is Trigger.CHARGE_BELOW:
            return self.charge_below_percent
        if trigger is Trigger.TIME_LEFT_BELOW:
            return self.time_left_below_s
        return None


def actions_config(settings: Settings) -> ActionsConfig:
    actions = settings.actions
    commands = {}
    for trigger in Trigger:
        action = getattr(actions, trigger.value)
        if action.command:
            commands[trigger] = ActionSpec(tuple(action.command), action.timeout_s)
    return ActionsConfig(
        commands=commands,
        charge_below_percent=actions.charge_below_percent,
        time_left_below_s=actions.time_left_below_min * 60.0,
    )


def split_command(text: str, *, windows: bool = sys.platform == "win32") -> list[str]:
    """A command line as a person types it -> the argument list pwtray runs (no shell is ever
    involved: quotes only group words). ``ValueError`` in words for an unclosed quote."""
    try:
        if not windows:
            return shlex.split(text)
        # Windows paths are full of backslashes: split on spaces and double quotes only.
        lexer = shlex.shlex(text, posix=True)
        lexer.whitespace_split = True
        lexer.escape = ""
        lexer.quotes = '"'
        lexer.commenters = ""
        return list(lexer)
    except ValueError:
        raise ValueError("a quote is not closed") from None


def join_command(command: Sequence[str], *, windows: bool = sys.platform == "win32") -> str:
    """The argument list as one line that :func:`split_command` turns back into it."""
    if not windows:
        return shlex.join(command)
    return " ".join(f'"{a}"' if not a or any(c in a for c in ' \t\r\n"') else a for a in command)


# ---------------------------------------------------------------------- when actions fire
@dataclass(frozen=True)
class Latches:
    """Thresholds already acted on in this occurrence."""

    charge: bool = False
    time_left: bool = False


@dataclass(frozen=True)
class Occurrence:
    trigger: Trigger
    snapshot: Snapshot
    event: Event | None = None


def detect(
    snapshot: Snapshot, events: Sequence[Event], latches: Latches, config: ActionsConfig
) -> tuple[list[Occurrence], Latches]:
    """Which triggers fire on this update, and the latches to pass next time. Pure."""
    fired = [
        Occurrence(_EVENT_TRIGGERS[e.kind], snapshot, e)
        for e in events
        if e.kind in _EVENT_TRIGGERS
    ]
    live = snapshot.connectivity.live
    grid_back = live and snapshot.grid is GridState.CONNECTED
    judged = live and snapshot.off_grid
    charge, time_left = latches.charge, latches.time_left

    soe, low_charge = snapshot.soe_percent, config.charge_below_percent
    if (soe is not None and live and soe >= low_charge + CHARGE_HYSTERESIS_PERCENT) or grid_back:
        charge = False
    elif judged and soe is not None and soe < low_charge and not charge:
        charge = True
        fired.append(Occurrence(Trigger.CHARGE_BELOW, snapshot))

    left, low_time = snapshot.estimates.time_to_empty_s, config.time_left_below_s
    margin = max(TIME_HYSTERESIS_MIN_S, TIME_HYSTERESIS_SHARE * low_time)
    plenty = snapshot.charging if left is None else left >= low_time + margin
    if (live and plenty) or grid_back:
        time_left = False
    elif judged and left is not None and left < low_time and not time_left:
        time_left = True
        fired.append(Occurrence(Trigger.TIME_LEFT_BELOW, snapshot))
    return fired, Latches(charge, time_left)


# ---------------------------------------------------------------------- the facts, as variables
def environment(
    occurrence: Occurrence,
    *,
    gateway: str,
    threshold: float | None,
    test: bool,
    base: Mapping[str, str],
) -> dict[str, str]:
    """The command's environment: pwtray's own minus any ``PWTRAY_*`` it inherited (such as
    ``PWTRAY_PASSWORD``), plus the facts. Unknown values are empty strings."""
    s, event = occurrence.snapshot, occurrence.event
    at = event.at if event is not None else s.taken_at
    env = {k: v for k, v in base.items() if not k.upper().startswith("PWTRAY_")}
    outage_s: float | None = None
    if event is not None and event.kind is EventKind.GRID_RESTORED:
        duration = event.data.get("duration_s")
        outage_s = float(duration) if isinstance(duration, int | float) else None
    env.update(
        PWTRAY_EVENT=occurrence.trigger.value,
        PWTRAY_AT=dt.datetime.fromtimestamp(at).astimezone().isoformat(timespec="seconds"),
        PWTRAY_SOE=_decimal(s.soe_percent),
        PWTRAY_GRID=_grid(s.grid),
        PWTRAY_GRID_STATE=s.grid.value if s.grid is not None else "",
        PWTRAY_TIME_LEFT_S=_whole(s.estimates.time_to_empty_s),
        PWTRAY_RESERVE=_decimal(s.reserve_percent),
        PWTRAY_LOAD_W=_whole(s.load_w),
        PWTRAY_SOLAR_W=_whole(s.solar_w),
        PWTRAY_BATTERY_W=_whole(s.battery_w),
        PWTRAY_THRESHOLD=_decimal(threshold) if threshold is not None else "",
        PWTRAY_OUTAGE_S=_whole(outage_s),
        PWTRAY_SITE=s.site_name or "",
        PWTRAY_GATEWAY=gateway,
        PWTRAY_STALE="0" if s.connectivity.live else "1",
        PWTRAY_TEST="1" if test else "0",
    )
    return env


def _grid(state: GridState | None) -> str:
    if state is None or state is GridState.UNKNOWN:
        return "unknown"
    return "up" if state is GridState.CONNECTED else "down"


def _decimal(value: float | None) -> str:
    return "" if value is None else f"{value:.1f}"


def _whole(value: float | None) -> str:
    return "" if value is None else str(round(value))


def sample_occurrence(trigger: Trigger, now: float, site_name: str | None) -> Occurrence:
    """What the Test button runs with: an outage two hours in, the Powerwall at 42 %."""
    restored = trigger is Trigger.GRID_RESTORED
    snapshot = Snapshot(
        taken_at=now,
        connectivity=Connectivity.ONLINE,
        last_success_at=now,
        soe_percent=42.0,
        reserve_percent=20.0,
        grid=GridState.CONNECTED if restored else GridState.ISLANDED,
        load_w=1500.0,
        solar_w=0.0,
        battery_w=0.0 if restored else 1500.0,
        site_w=1500.0 if restored else 0.0,
        estimates=Estimates(time_to_empty_s=None if restored else 5400.0),
        site_name=site_name or "Test site",
    )
    data: dict[str, float | str] = {"duration_s": 7200.0} if restored else {}
    kind = next((k for k, t in _EVENT_TRIGGERS.items() if t is trigger), None)
    event = Event(kind, Severity.INFO, now, data) if kind is not None else None
    return Occurrence(trigger, snapshot, event)


# ---------------------------------------------------------------------- the record file
class RunLog:
    """The runs in a small JSON-lines file (0600): appended to, compacted when it grows past
    ``max_bytes``, read back bounded. Used from worker threads, one at a time."""

    def __init__(self, path: Path, max_bytes: int = LOG_MAX_BYTES) -> None:
        self.path = path
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._told = False

    def load(self, keep: int = KEEP_RUNS) -> list[ActionRun]:
        """The newest ``keep`` runs; lines that cannot be read are skipped (and said once)."""
        with self._lock:
            try:
                with self.path.open("rb") as source:
                    size = source.seek(0, os.SEEK_END)
                    source.seek(max(0, size - self.max_bytes))
                    data = source.read(self.max_bytes)
            except FileNotFoundError:
                return []
            except OSError as exc:
                self._tell(f"cannot read {self.path}: {exc.strerror}")
                return []
        lines = data.split(b"\n")
        if len(data) >= self.max_bytes:
            lines = lines[1:]  # the first may be the tail of a line
        runs, bad = [], 0
        for line in lines:
            if not line.strip():
                continue
            try:
                runs.append(msgspec.json.decode(line, type=ActionRun))
            except msgspec.DecodeError:
                bad += 1
        if bad:
            log.warning("%s: %d unreadable lines skipped", self.path, bad)
        return runs[-keep:]

    def append(self, run: ActionRun) -> None:
        line = msgspec.json.encode(run) + b"\n"
        with self._lock:
            try:
                private_folder(self.path.parent)
                fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
                with open(fd, "ab") as out:
                    out.write(line)
                    size = out.tell()
                if size > self.max_bytes:
                    self._compact()
            except OSError as exc:
                self._tell(f"cannot record action runs in {self.path}: {exc.strerror}")

    def _compact(self) -> None:
        """Keep the newest half; written beside and renamed, so a crash loses nothing."""
        data = self.path.read_bytes()
        keep = data[-(self.max_bytes // 2) :]
        keep = keep[keep.find(b"\n") + 1 :] if len(keep) < len(data) else keep
        partial = self.path.with_name(f".{self.path.name}.partial")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "wb") as out:
            out.write(keep)
        os.replace(partial, self.path)

    def _tell(self, what: str) -> None:
        if not self._told:
            self._told = True
            log.warning("%s", what)


# ---------------------------------------------------------------------- output
class _Output:
    """Reads a command's output as it comes: logged (bounded), its last lines kept."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.tail: deque[str] = deque(maxlen=TAIL_LINES)
        self.lines = 0
        self._partial = b""
        self._skipping = False  # the rest of a line too long to keep

    async def drain(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            self._feed(chunk)
        self.finish()

    def _feed(self, chunk: bytes) -> None:
        if self._skipping:
            end = chunk.find(b"\n")
            if end < 0:
                return
            chunk, self._skipping = chunk[end + 1 :], False
        data = self._partial + chunk
        *complete, self._partial = data.split(b"\n")
        for line in complete:
            self._line(line)
        if len(self._partial) > 4 * LINE_MAX:  # a line with no end in sight: keep its start
            self._line(self._partial)
            self._partial, self._skipping = b"", True

    def finish(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = b""
        if self.lines > LOG_LINES:
            log.info("%s: %d more lines of output not logged", self.name, self.lines - LOG_LINES)
            self.lines = LOG_LINES  # said once

    def _line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace").rstrip("\r")
        if len(text) > LINE_MAX:
            text = text[:LINE_MAX] + "…"
        self.tail.append(text)
        self.lines += 1
        if self.lines <= LOG_LINES:
            log.info("%s: %s", self.name, text)


# ---------------------------------------------------------------------- the service
RunListener = Callable[[ActionRun], None]


class ActionService:
    """Runs the user's commands on the site's events; the site listener is :meth:`on_update`."""

    def __init__(
        self,
        site: Site,
        supervisor: Supervisor,
        config: ActionsConfig,
        *,
        folder: Path | None,
        base_environment: Mapping[str, str] | None = None,
    ) -> None:
        self._site = site
        self._supervisor = supervisor
        self.config = config
        self._record = RunLog(folder / RECORD_FILE) if folder is not None else None
        self._base = base_environment
        self._latches = Latches()
        self._runs: deque[ActionRun] = deque(maxlen=KEEP_RUNS)
        self._listeners: list[RunListener] = []
        self._failing: set[Trigger] = set()
        self._writes: set[asyncio.Task[None]] = set()

    # ------------------------------------------------------------------ state
    @property
    def runs(self) -> list[ActionRun]:
        """Recent runs, oldest first."""
        return list(self._runs)

    async def load(self) -> None:
        """Read the runs of earlier sessions (off the event loop's thread)."""
        if self._record is not None:
            earlier = await asyncio.to_thread(self._record.load)
            self._runs.extendleft(reversed(earlier))

    def subscribe_runs(self, listener: RunListener) -> Callable[[], None]:
        """Call ``listener(run)`` after every run; returns the unsubscribe."""
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def apply(self, config: ActionsConfig) -> None:
        self.config = config

    def running(self, trigger: Trigger) -> bool:
        return self._supervisor.running(_task_name(trigger))

    # ------------------------------------------------------------------ events in
    def on_update(self, snapshot: Snapshot, events: list[Event]) -> None:
        """The site's listener: start what fires (never waits here)."""
        fired, self._latches = detect(snapshot, events, self._latches, self.config)
        for occurrence in fired:
            spec = self.config.commands.get(occurrence.trigger)
            if spec is not None:
                self._start(occurrence, spec)

    def _start(self, occurrence: Occurrence, spec: ActionSpec) -> None:
        trigger = occurrence.trigger
        if self.running(trigger):
            log.warning("action %s: the previous run is still going; not run again", trigger.value)
            now = self._site.clock.wall()
            self._finish(
                ActionRun(
                    trigger=trigger,
                    command=spec.command,
                    started_at=now,
                    duration_s=0.0,
                    outcome=Outcome.SKIPPED,
                    timeout_s=spec.timeout_s,
                )
            )
            return
        env = self._environment(occurrence, test=False)

        async def work() -> None:
            self._finish(await self._execute(trigger, spec, env, test=False))

        self._supervisor.start(_task_name(trigger), work, restart=False)

    async def test(
        self, trigger: Trigger, command: Sequence[str], timeout_s: float = 60.0
    ) -> ActionRun:
        """Run ``command`` now with sample values (``PWTRAY_TEST=1``), as Preferences' Test
        button does; recorded like any run, but a failure is the caller's to show."""
        spec = ActionSpec(tuple(command), timeout_s)
        if not spec.command or not spec.command[0].strip():
            raise ValueError("there is no program to run")
        site_name = self._site.snapshot.site_name
        occurrence = sample_occurrence(trigger, self._site.clock.wall(), site_name)
        env = self._environment(occurrence, test=True)
        run = await self._execute(trigger, spec, env, test=True)
        self._finish(run)
        return run

    def _environment(self, occurrence: Occurrence, *, test: bool) -> dict[str, str]:
        return environment(
            occurrence,
            gateway=self._site.config.gateway.host,
            threshold=self.config.threshold(occurrence.trigger),
            test=test,
            base=os.environ if self._base is None else self._base,
        )

    # ------------------------------------------------------------------ running
    async def _execute(
        self, trigger: Trigger, spec: ActionSpec, env: dict[str, str], *, test: bool
    ) -> ActionRun:
        clock = self._site.clock
        name = f"action {trigger.value}{' (test)' if test else ''}"
        run = ActionRun(
            trigger=trigger,
            command=spec.command,
            started_at=clock.wall(),
            duration_s=0.0,
            outcome=Outcome.OK,
            timeout_s=spec.timeout_s,
            test=test,
        )
        began = clock.monotonic()
        log.info("%s: running %s", name, join_command(spec.command))
        try:
            process = await asyncio.create_subprocess_exec(
                *spec.command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env=env,
                **_own_group(),
            )
        except FileNotFoundError as exc:
            return msgspec.structs.replace(
                run, outcome=Outcome.NOT_FOUND, detail=exc.strerror or "not found"
            )
        except OSError as exc:  # not executable, a folder, too many processes, …
            return msgspec.structs.replace(
                run, outcome=Outcome.NOT_STARTED, detail=exc.strerror or str(exc)
            )
        output = _Output(name)
        assert process.stdout is not None  # noqa: S101 - asked for above
        reading = asyncio.ensure_future(output.drain(process.stdout))
        exiting = asyncio.ensure_future(process.wait())
        timed_out = False
        try:
            if not await _first(exiting, clock.sleep(spec.timeout_s)):
                timed_out = True
                log.warning("%s: still running after %.0f s: stopping it", name, spec.timeout_s)
                await _signal_group(process, signal.SIGTERM)
                if not await _first(exiting, clock.sleep(KILL_GRACE_S)):
                    await _signal_group(process, _SIGKILL)
                    await exiting
            code = await exiting
            await _first(reading, asyncio.sleep(DRAIN_GRACE_S))  # a child may hold the pipe
        except asyncio.CancelledError:
            with contextlib.suppress(asyncio.CancelledError):
                await _signal_group(process, _SIGKILL)
                await asyncio.shield(exiting)  # reaped: no zombie when pwtray quits
            self._finish(
                msgspec.structs.replace(
                    run, outcome=Outcome.STOPPED, duration_s=clock.monotonic() - began
                )
            )
            raise
        finally:
            reading.cancel()
            output.finish()
        outcome = Outcome.TIMED_OUT if timed_out else Outcome.OK if code == 0 else Outcome.FAILED
        return msgspec.structs.replace(
            run,
            outcome=outcome,
            exit_code=code,
            duration_s=clock.monotonic() - began,
            output=tuple(output.tail),
        )

    def _finish(self, run: ActionRun) -> None:
        name = f"action {run.trigger.value}{' (test)' if run.test else ''}"
        if run.outcome.failure:
            log.warning("%s: %s", name, _summary(run))
        else:
            log.info("%s: %s", name, _summary(run))
        self._runs.append(run)
        if self._record is not None:
            task = asyncio.ensure_future(asyncio.to_thread(self._record.append, run))
            self._writes.add(task)
            task.add_done_callback(self._writes.discard)
        for listener in list(self._listeners):
            try:
                listener(run)
            except Exception:  # a window that cannot show it must not stop the actions
                log.exception("an action-run listener failed")
        if run.test:
            return
        if run.outcome.failure and run.trigger not in self._failing:
            self._failing.add(run.trigger)  # told once, until it works again
            self._site.announce([failure_event(run, self._site.clock.wall())])
        elif run.outcome is Outcome.OK:
            self._failing.discard(run.trigger)

    async def stop(self) -> None:
        """Stop running commands (pwtray quits) and finish writing the record."""
        for trigger in Trigger:
            await self._supervisor.cancel_and_wait(_task_name(trigger))
        if self._writes:
            await asyncio.gather(*self._writes, return_exceptions=True)


def failure_event(run: ActionRun, now: float) -> Event:
    data: dict[str, float | str] = {
        "action": run.trigger.value,
        "outcome": run.outcome.value,
        "program": run.command[0] if run.command else "",
        "timeout_s": run.timeout_s,
    }
    if run.exit_code is not None:
        data["exit_code"] = run.exit_code
    if run.detail:
        data["detail"] = run.detail
    if run.output:
        data["last_output"] = run.output[-1]
    return Event(EventKind.ACTION_FAILED, Severity.WARNING, now, data)


def _summary(run: ActionRun) -> str:
    if run.outcome is Outcome.OK:
        return f"exit code 0 after {run.duration_s:.1f} s"
    if run.outcome is Outcome.FAILED:
        return f"exit code {run.exit_code} after {run.duration_s:.1f} s"
    if run.outcome is Outcome.TIMED_OUT:
        return f"stopped after its timeout of {run.timeout_s:.0f} s"
    if run.outcome in (Outcome.NOT_FOUND, Outcome.NOT_STARTED):
        return f"{run.command[0]} could not be started: {run.detail}"
    return str(run.outcome.value)


def _task_name(trigger: Trigger) -> str:
    return f"action {trigger.value}"


async def _first(work: asyncio.Future[Any], timer: Any) -> bool:
    """Wait for ``work`` or the ``timer`` coroutine, whichever ends first; True if work did."""
    waiting = asyncio.ensure_future(timer)
    try:
        await asyncio.wait({work, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()
    return work.done()


_SIGKILL = getattr(signal, "SIGKILL", signal.SIGTERM)  # Windows has no SIGKILL


def _own_group() -> dict[str, Any]:
    """Start the command in a process group of its own, so a timeout stops all it started."""
    if sys.platform == "win32":
        return {"creationflags": subprocess.CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


async def _signal_group(process: asyncio.subprocess.Process, sig: int) -> None:
    if process.returncode is not None:
        return
    if sys.platform == "win32":  # the whole tree; TerminateProcess would leave its children
        root = os.environ.get("SYSTEMROOT", r"C:\Windows")
        killer = await asyncio.create_subprocess_exec(
            os.path.join(root, "System32", "taskkill.exe"),
            "/F",
            "/T",
            "/PID",
            str(process.pid),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await killer.wait()
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
