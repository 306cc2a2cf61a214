"""What the shutdown policy says about this computer always reaches the user: muted, paused or
soon after the last one."""

from __future__ import annotations

from pwtray.core.notify import (
    DEFAULT_KINDS,
    Action,
    Intent,
    Notice,
    Notifier,
    Replace,
    Slot,
)
from pwtray.monitor import Event, EventKind, Severity


def notices(intents: list[Intent]) -> list[Notice]:
    """The notices shown, new or in place of another (closings left out)."""
    return [
        i.notice if isinstance(i, Replace) else i
        for i in intents
        if isinstance(i, Notice | Replace)
    ]


def pending(at: float) -> Event:
    data: dict[str, float | str] = {
        "countdown_s": 60.0,
        "deadline": at + 60,
        "what": "poweroff",
        "reason": "charge",
        "soe": 8.0,
        "threshold": 10.0,
    }
    return Event(EventKind.SHUTDOWN_PENDING, Severity.CRITICAL, at, data)


def test_a_countdown_is_told_even_paused_muted_and_again_soon_after() -> None:
    sent: list[Intent] = []
    now = [1000.0]
    notifier = Notifier(
        sent.append, enabled=DEFAULT_KINDS - {EventKind.SHUTDOWN_PENDING}, clock=lambda: now[0]
    )
    notifier.pause(3600)
    notifier.handle([pending(now[0])])
    cancelled = Event(EventKind.SHUTDOWN_CANCELLED, Severity.INFO, now[0], {"reason": "grid"})
    notifier.handle([cancelled])
    now[0] += 30  # the grid flickers: a new countdown half a minute later
    notifier.handle([pending(now[0])])
    shown = notices(sent)
    assert [n.title for n in shown] == [
        "Shutting down this computer in 60 s",
        "Shutdown of this computer cancelled",
        "Shutting down this computer in 60 s",
    ]
    assert shown[0].severity is Severity.CRITICAL
    assert shown[0].sticky  # the countdown stays on screen …
    assert Action.CANCEL_SHUTDOWN in shown[0].actions  # … with its Cancel
    assert {n.slot for n in shown} == {Slot.SHUTDOWN}  # one notice, replaced in place
    assert isinstance(sent[1], Replace)
    notifier.handle(
        [
            Event(
                EventKind.ACTION_FAILED,
                Severity.WARNING,
                now[0],
                {"action": "grid_outage", "outcome": "not_found"},
            )
        ]
    )
    assert len(notices(sent)) == 3  # other notices wait for the pause to end
