"""Scheduled changes of mode and reserve, run by the app through the same commands as a click.

Two kinds (``[[schedules]]`` in settings.toml):

* **recurring** — at a time of day, on chosen weekdays: the seed's example is "self-powered with
  a 5 % reserve at 07:55, backup-only at 22:05";
* **one-shot** — from now (or a start) until an end, then back to what the Powerwall had before:
  "reserve 100 % until 07:00", "backup-only during the storm until Sunday".

A change that fell due while this computer slept is made on waking if it is still inside its
window (``window_min``, default an hour); otherwise it is reported as missed, never made late.
Every run is logged, and a failed or missed one is told (an event, so a notification).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pwtray.cloud import CloudError
from pwtray.core._cloud import ReserveNotChangedError
from pwtray.core._commands import Applied, ChangeRefusedError, Via
from pwtray.core._site import Site
from pwtray.core._tasks import Supervisor
from pwtray.core.words import mode_label, reserve_not_changed
from pwtray.gateway import GatewayError, OperationMode
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Event
from pwtray.settings import ScheduleEntry

log = logging.getLogger(__name__)
TASK = "schedules"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
RECHECK_S = 300.0  # at most this long asleep between looks at the clock (catches wake-ups)


class Kind(enum.Enum):
    RECURRING = "recurring"
    ONE_SHOT = "one_shot"


@dataclass(frozen=True)
class Change:
    """What to set: a mode, a reserve (the app's %), or both."""

    mode: OperationMode | None = None
    reserve_percent: float | None = None

    def describe(self) -> str:
        parts = []
        if self.mode is not None:
            parts.append(mode_label(self.mode))
        if self.reserve_percent is not None:
            parts.append(f"reserve {self.reserve_percent:g} %")
        return ", ".join(parts) or "no change"


@dataclass(frozen=True)
class Schedule:
    name: str
    kind: Kind
    change: Change
    at: dt.time | None = None  # recurring: the time of day
    days: frozenset[int] = frozenset(range(7))  # recurring: weekdays, Monday = 0
    start: dt.datetime | None = None  # one-shot: when it begins (None: as soon as it is read)
    until: dt.datetime | None = None  # one-shot: when the Powerwall goes back
    window: dt.timedelta = dt.timedelta(hours=1)  # how late a missed change may still be made


@dataclass(frozen=True)
class Due:
    """One change to make at one moment."""

    when: dt.datetime
    schedule: Schedule
    change: Change
    reverting: bool = False  # the end of a one-shot: back to what was there before

    def describe(self) -> str:
        what = (
            "back to before" if self.reverting and not self.change.mode else self.change.describe()
        )
        return f"{self.when:%a %H:%M} {what} ({self.schedule.name})"


@dataclass
class Run:
    """How one scheduled change went."""

    due: Due
    ran_at: float
    ok: bool
    detail: str


@dataclass
class ScheduleService:
    site: Site
    supervisor: Supervisor
    schedules: Sequence[Schedule] = ()
    tz: dt.tzinfo | None = None  # None: this computer's time zone
    runs: list[Run] = field(default_factory=list)
    on_change: Callable[[], None] = lambda: None  # the upcoming list changed (tray menu)
    _done: set[tuple[str, dt.datetime]] = field(default_factory=set)
    _before: dict[str, Change] = field(default_factory=dict)  # one-shot: what to go back to
    _started_at: float | None = None

    # ------------------------------------------------------------------ control
    def start(self) -> None:
        self._started_at = self.site.clock.wall()
        if self.schedules:
            self.supervisor.start(TASK, self._run)

    def apply(self, schedules: Sequence[Schedule]) -> None:
        self.schedules = list(schedules)
        self.supervisor.cancel(TASK)
        if self.schedules:
            self.supervisor.start(TASK, self._run)
        self.on_change()

    def upcoming(self, count: int = 3) -> list[Due]:
        """The next changes, soonest first (for the tray menu)."""
        now = self._now()
        found: list[Due] = []
        for schedule in self.schedules:
            found.extend(
                d
                for d in self._dues(schedule, now, now + dt.timedelta(days=8))
                if (schedule.name, d.when) not in self._done
            )
        return sorted(found, key=lambda d: d.when)[:count]

    # ------------------------------------------------------------------ the loop
    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.site.clock.wall(), self.tz).astimezone(self.tz)

    async def _run(self) -> None:
        clock = self.site.clock
        looked = self._now() - dt.timedelta(seconds=1)
        while True:
            now = self._now()
            for due in self._between(looked, now):
                await self._make(due, now)
            looked = now
            upcoming = self.upcoming(1)
            wait = RECHECK_S
            if upcoming:
                wait = min(wait, max(0.0, (upcoming[0].when - now).total_seconds()))
            await clock.sleep(wait)

    def _between(self, since: dt.datetime, now: dt.datetime) -> list[Due]:
        """Changes due after ``since`` up to ``now`` (several, after a sleep), in order."""
        found: list[Due] = []
        for schedule in self.schedules:
            found.extend(
                d
                for d in self._dues(schedule, since, now)
                if (schedule.name, d.when) not in self._done
            )
        return sorted(found, key=lambda d: d.when)

    def _dues(self, schedule: Schedule, since: dt.datetime, until: dt.datetime) -> list[Due]:
        if schedule.kind is Kind.ONE_SHOT:
            begin = schedule.start or dt.datetime.fromtimestamp(
                self._started_at or self.site.clock.wall(), self.tz
            ).astimezone(self.tz)
            dues = []
            if since < begin <= until:
                dues.append(Due(begin, schedule, schedule.change))
            end = schedule.until
            if end is not None and since < end <= until:
                back = self._before.get(schedule.name, Change())
                dues.append(Due(end, schedule, back, reverting=True))
            return dues
        if schedule.at is None:
            return []
        dues = []
        day = since.date()
        while day <= until.date():
            if day.weekday() in schedule.days:
                when = dt.datetime.combine(day, schedule.at, tzinfo=since.tzinfo)
                if since < when <= until:
                    dues.append(Due(when, schedule, schedule.change))
            day += dt.timedelta(days=1)
        return dues

    async def _make(self, due: Due, now: dt.datetime) -> None:
        self._done.add((due.schedule.name, due.when))
        late = now - due.when
        if late > due.schedule.window:
            self._record(
                due,
                ok=False,
                detail=f"missed: this computer was asleep or off at "
                f"{due.when:%H:%M} and it is now {late} later",
            )
            self._tell(EventKind.SCHEDULE_MISSED, due, "")
            return
        if due.reverting and due.change == Change():
            self._record(due, ok=False, detail="nothing to go back to: the start never ran")
            return
        try:
            applied = await self._apply(due)
        except ReserveNotChangedError as exc:  # half made: the mode taken, the reserve not
            self._record(due, ok=False, detail=reserve_not_changed(exc))
            self._tell(EventKind.SCHEDULE_FAILED, due, reserve_not_changed(exc))
            return
        except (GatewayError, ChangeRefusedError, CloudError, OSError) as exc:
            self._record(due, ok=False, detail=str(exc))
            self._tell(EventKind.SCHEDULE_FAILED, due, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - unexpected: logged, told, the loop goes on
            self._record(due, ok=False, detail=f"{type(exc).__name__}: {exc}")
            self._tell(EventKind.SCHEDULE_FAILED, due, str(exc))
            return
        self._record(
            due,
            ok=True,
            detail=f"{applied.mode}, {applied.reserve_percent:g} % "
            f"({'locally' if applied.via is Via.LOCAL else 'through the Tesla cloud'})",
        )
        self.on_change()

    async def _apply(self, due: Due) -> Applied:
        snapshot = self.site.snapshot
        if due.schedule.kind is Kind.ONE_SHOT and not due.reverting:
            self._before[due.schedule.name] = Change(snapshot.mode, snapshot.reserve_percent)
        mode = due.change.mode or snapshot.mode or OperationMode.SELF_CONSUMPTION
        reserve = due.change.reserve_percent
        if reserve is None:
            reserve = 100.0 if mode is OperationMode.BACKUP else (snapshot.reserve_percent or 20.0)
        return await self.site.commands.change_operation(mode, reserve)

    def _record(self, due: Due, *, ok: bool, detail: str) -> None:
        run = Run(due, self.site.clock.wall(), ok, detail)
        self.runs.append(run)
        del self.runs[:-50]
        level = logging.INFO if ok else logging.WARNING
        log.log(level, "schedule %s at %s: %s", due.schedule.name, due.when.isoformat(), detail)

    def _tell(self, kind: EventKind, due: Due, why: str) -> None:
        data: dict[str, float | str] = {
            "name": due.schedule.name,
            "change": due.change.describe(),
            "due": due.when.timestamp(),
            "why": why,
        }
        self.site.announce([Event(kind, Severity.WARNING, self.site.clock.wall(), data)])


def schedules_from(entries: Sequence[ScheduleEntry]) -> list[Schedule]:
    """The settings' ``[[schedules]]`` entries as schedules."""
    found = []
    for entry in entries:
        change = Change(
            OperationMode(entry.mode) if entry.mode else None,
            entry.reserve_percent,
        )
        window = dt.timedelta(minutes=entry.window_min)
        if entry.at:
            hour, minute = (int(p) for p in entry.at.split(":"))
            days = frozenset(WEEKDAYS.index(d) for d in entry.days) if entry.days else None
            found.append(
                Schedule(
                    entry.name,
                    Kind.RECURRING,
                    change,
                    at=dt.time(hour, minute),
                    days=days or frozenset(range(7)),
                    window=window,
                )
            )
        else:
            found.append(
                Schedule(
                    entry.name,
                    Kind.ONE_SHOT,
                    change,
                    start=_parse(entry.start),
                    until=_parse(entry.until),
                    window=window,
                )
            )
    return found


def _parse(text: str) -> dt.datetime | None:
    if not text:
        return None
    when = dt.datetime.fromisoformat(text)
    return when if when.tzinfo else when.astimezone()
