"""Which events become notifications: kinds, duplicates, pause, outage reminders."""

from __future__ import annotations

from pwtray.monitor import Event, EventKind, Severity
from pwtray.ui.notifications import DUPLICATE_S, OUTAGE_REPEAT_S, Notice, Notifier


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def event(kind: EventKind, title: str = "", at: float = 1_800_000_000.0) -> Event:
    """An event of ``kind`` (``title``: the words it is known by, for the reader of the test)."""
    severity = Severity.CRITICAL if kind is EventKind.GRID_OUTAGE else Severity.INFO
    return Event(kind, severity, at, {"started_at": at})


def setup(**kw: object) -> tuple[Notifier, list[Notice], Clock]:
    shown: list[Notice] = []
    clock = Clock()
    return Notifier(shown.append, clock=clock, **kw), shown, clock  # type: ignore[arg-type]


def test_events_become_notices() -> None:
    notifier, shown, _ = setup()
    notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage")])
    assert [(n.title, n.severity) for n in shown] == [("Grid outage", Severity.CRITICAL)]


def test_muted_kinds_send_nothing() -> None:
    notifier, shown, _ = setup(enabled=frozenset({EventKind.GRID_OUTAGE}))
    notifier.handle([event(EventKind.BATTERY_FULL), event(EventKind.GRID_RESTORED)])
    assert shown == []


def test_duplicates_are_suppressed_for_a_while() -> None:
    notifier, shown, clock = setup()
    notifier.handle([event(EventKind.UNREACHABLE, "Gateway unreachable")])
    clock.now += 30
    notifier.handle([event(EventKind.UNREACHABLE, "Gateway unreachable")])
    assert len(shown) == 1
    clock.now += DUPLICATE_S
    notifier.handle([event(EventKind.UNREACHABLE, "Gateway unreachable")])
    assert len(shown) == 2


def test_a_second_outage_soon_after_a_restore_is_notified_again() -> None:
    notifier, shown, clock = setup()
    for _ in range(2):
        started = clock.now
        notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage", started)])
        notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage", started)])  # the same one
        clock.now += 20
        notifier.handle([event(EventKind.GRID_RESTORED, "Grid restored", started)])
        clock.now += 20
    assert [n.title for n in shown] == ["Grid outage", "Grid restored"] * 2


def test_the_outage_reminder_repeats_until_acknowledged() -> None:
    notifier, shown, clock = setup()
    notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage", clock.now)])
    clock.now += OUTAGE_REPEAT_S - 1
    notifier.tick()
    assert len(shown) == 1
    clock.now += 1
    notifier.tick()
    assert [n.title for n in shown] == ["Grid outage", "Grid still down"]
    assert "10 min" in shown[-1].body
    notifier.acknowledge_outage()
    clock.now += OUTAGE_REPEAT_S
    notifier.tick()
    assert len(shown) == 2


def test_the_reminder_stops_when_the_grid_is_back() -> None:
    notifier, shown, clock = setup()
    notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage", clock.now)])
    notifier.handle([event(EventKind.GRID_RESTORED, "Grid restored")])
    clock.now += 2 * OUTAGE_REPEAT_S
    notifier.tick()
    assert [n.title for n in shown] == ["Grid outage", "Grid restored"]
    assert not notifier.outage_active


def test_pause_silences_and_the_reminder_speaks_after_it() -> None:
    notifier, shown, clock = setup()
    notifier.pause(3600)
    notifier.handle([event(EventKind.GRID_OUTAGE, "Grid outage", clock.now)])
    assert shown == []
    clock.now += 3601
    notifier.tick()
    assert [n.title for n in shown] == ["Grid still down"]
