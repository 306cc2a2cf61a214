"""The notification policy (plain Python, no Qt, no D-Bus): which events become notices, which
notice replaces or closes which, rate limits, pauses, the outage reminder and acknowledging it."""

from __future__ import annotations

from pwtray.core.notify import (
    DUPLICATE_S,
    OUTAGE_REPEAT_S,
    Action,
    Intent,
    Notice,
    Notifier,
    Replace,
    Slot,
)
from pwtray.core.words import event_text
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Event

T0 = 1_800_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def event(kind: EventKind, at: float = T0, started: float | None = None) -> Event:
    """An event of ``kind``; its words (title, body) are pwtray.core.words'."""
    severity = Severity.CRITICAL if kind is EventKind.GRID_OUTAGE else Severity.INFO
    return Event(kind, severity, at, {"started_at": started or at})


def outage(at: float = T0) -> Event:
    return event(EventKind.GRID_OUTAGE, at)


def restored(started: float = T0, at: float | None = None) -> Event:
    return event(EventKind.GRID_RESTORED, at or started + 60, started)


def setup(**kw: object) -> tuple[Notifier, list[Intent], Clock]:
    sent: list[Intent] = []
    clock = Clock()
    return Notifier(sent.append, clock=clock, **kw), sent, clock  # type: ignore[arg-type]


def titles(sent: list[Intent]) -> list[str]:
    """What each intent does, in a line: "+Grid outage", "=Grid restored", "-grid"."""
    out = []
    for intent in sent:
        if isinstance(intent, Notice):
            out.append(f"+{intent.title}")
        elif isinstance(intent, Replace):
            out.append(f"={intent.notice.title}")
        else:
            out.append(f"-{intent.slot.value}")
    return out


def test_the_outage_is_a_critical_notice_that_stays_and_offers_acknowledge() -> None:
    notifier, sent, _ = setup()
    notifier.handle([outage()])
    title, body = event_text(outage())
    assert title == "Grid outage"
    assert sent == [
        Notice(Slot.GRID, title, body, Severity.CRITICAL, EventKind.GRID_OUTAGE,
               sticky=True, actions=(Action.OPEN, Action.ACKNOWLEDGE))
    ]  # fmt: skip


def test_the_restore_replaces_the_outage_notice() -> None:
    notifier, sent, _ = setup()
    notifier.handle([outage()])
    notifier.handle([restored()])
    assert titles(sent) == ["+Grid outage", "=Grid restored"]
    notice = sent[-1].notice  # type: ignore[union-attr]
    assert (notice.slot, notice.sticky, notice.actions) == (Slot.GRID, False, (Action.OPEN,))
    assert not notifier.outage_active


def test_a_restore_that_is_not_shown_closes_the_outage_notice() -> None:
    muted, sent, _ = setup(enabled=frozenset({EventKind.GRID_OUTAGE}))
    muted.handle([outage()])
    muted.handle([restored()])
    assert titles(sent) == ["+Grid outage", "-grid"]

    paused, sent, _ = setup()
    paused.handle([outage()])
    paused.pause(3600)  # the outage notice is already showing: the restore still takes it away
    paused.handle([restored()])
    assert titles(sent) == ["+Grid outage", "-grid"]


def test_muted_kinds_send_nothing() -> None:
    notifier, sent, _ = setup(enabled=frozenset({EventKind.GRID_OUTAGE}))
    notifier.handle([event(EventKind.BATTERY_FULL), event(EventKind.GRID_RESTORED)])
    assert sent == []


def test_duplicates_are_suppressed_for_a_while_and_repeats_replace() -> None:
    notifier, sent, clock = setup()
    notifier.handle([event(EventKind.UNREACHABLE)])
    clock.now += 30
    notifier.handle([event(EventKind.UNREACHABLE)])
    assert titles(sent) == ["+Gateway unreachable"]
    clock.now += DUPLICATE_S
    notifier.handle([event(EventKind.UNREACHABLE)])
    assert titles(sent) == ["+Gateway unreachable", "=Gateway unreachable"]


def test_back_online_replaces_unreachable_and_a_muted_one_closes_it() -> None:
    notifier, sent, _ = setup()
    notifier.handle([event(EventKind.UNREACHABLE)])
    notifier.handle([event(EventKind.BACK_ONLINE)])
    assert titles(sent) == ["+Gateway unreachable", "=Gateway reachable again"]

    muted, sent, _ = setup(enabled=frozenset({EventKind.UNREACHABLE}))
    muted.handle([event(EventKind.UNREACHABLE)])
    muted.handle([event(EventKind.BACK_ONLINE)])
    assert titles(sent) == ["+Gateway unreachable", "-connection"]


def test_topics_do_not_replace_each_other() -> None:
    notifier, sent, _ = setup()
    notifier.handle([outage(), event(EventKind.NEW_ALERT)])
    assert titles(sent) == ["+Grid outage", "+Gateway alert"]
    assert notifier.showing == {Slot.GRID, Slot.ALERTS}


def test_a_second_outage_is_said_again_and_the_same_one_once() -> None:
    notifier, sent, clock = setup()
    for _ in range(2):
        started = clock.now
        notifier.handle([outage(started)])
        notifier.handle([outage(started)])  # the same one
        clock.now += 20
        notifier.handle([restored(started)])
        notifier.handle([restored(started)])  # the same one
        clock.now += 20
    # The second outage takes the place of the restore notice still on screen.
    assert titles(sent) == ["+Grid outage", "=Grid restored", "=Grid outage", "=Grid restored"]


def test_once_the_desktop_closed_a_notice_the_next_is_new() -> None:
    notifier, sent, _ = setup()
    notifier.handle([outage()])
    notifier.closed(Slot.GRID)  # expired, or the user dismissed it
    notifier.handle([restored()])
    assert titles(sent) == ["+Grid outage", "+Grid restored"]


def test_the_outage_reminder_replaces_the_notice_until_acknowledged() -> None:
    notifier, sent, clock = setup()
    notifier.handle([outage()])
    clock.now += OUTAGE_REPEAT_S - 1
    notifier.tick()
    assert titles(sent) == ["+Grid outage"]
    clock.now += 1
    notifier.tick()
    assert titles(sent) == ["+Grid outage", "=Grid still down"]
    reminder = sent[-1].notice  # type: ignore[union-attr]
    assert reminder.body.startswith("The grid has been down for 10 min.")
    assert (reminder.severity, reminder.sticky) == (Severity.CRITICAL, True)
    assert Action.ACKNOWLEDGE in reminder.actions
    notifier.acknowledge_outage()
    assert titles(sent)[-1] == "-grid"  # acknowledged: the notice goes away
    clock.now += 3 * OUTAGE_REPEAT_S
    notifier.tick()
    assert len(sent) == 3
    assert notifier.outage_active
    assert notifier.outage_acknowledged


def test_after_a_dismissal_the_reminder_comes_back_as_a_new_notice() -> None:
    notifier, sent, clock = setup()
    notifier.handle([outage()])
    notifier.closed(Slot.GRID)  # dismissed, not acknowledged
    clock.now += OUTAGE_REPEAT_S
    notifier.tick()
    assert titles(sent) == ["+Grid outage", "+Grid still down"]


def test_the_reminder_stops_when_the_grid_is_back() -> None:
    notifier, sent, clock = setup()
    notifier.handle([outage()])
    notifier.handle([restored()])
    clock.now += 2 * OUTAGE_REPEAT_S
    notifier.tick()
    assert titles(sent) == ["+Grid outage", "=Grid restored"]
    assert not notifier.outage_active


def test_pause_silences_and_the_outage_is_said_once_it_is_over() -> None:
    notifier, sent, clock = setup()
    notifier.pause(3600)
    notifier.handle([outage()])
    clock.now += 1800
    notifier.tick()
    assert sent == []
    clock.now += 1801
    notifier.tick()
    assert titles(sent) == ["+Grid outage"]
    notifier.acknowledge_outage()
    assert titles(sent) == ["+Grid outage", "-grid"]


def test_acknowledging_without_an_outage_does_nothing() -> None:
    notifier, sent, _ = setup()
    notifier.acknowledge_outage()
    notifier.handle([outage()])
    notifier.handle([restored()])
    notifier.acknowledge_outage()  # over already
    assert titles(sent) == ["+Grid outage", "=Grid restored"]


def test_pwtrays_own_messages_are_shown_even_while_paused() -> None:
    notifier, sent, _ = setup()
    notifier.pause(3600)
    notifier.tell("pwtray could not save its settings", "disk full")
    notifier.tell("pwtray could not save its settings", "disk still full")
    assert titles(sent) == [
        "+pwtray could not save its settings",
        "=pwtray could not save its settings",
    ]
    assert (sent[0].slot, sent[0].kind) == (Slot.APP, None)  # type: ignore[union-attr]
