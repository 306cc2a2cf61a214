"""Notifications through the freedesktop service, as the fake desktop (held to the specification)
received them: the outage critical and in place until it ends, replaced by the restore, reminders
in place, actions that work, closed at quit, degraded to what the server offers — and the tray
icon never touched (Qt's showMessage is never called where the service exists)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import pytest

from pwtray.core import Site, Supervisor, effective
from pwtray.core.notify import (
    OUTAGE_REPEAT_S,
    Action,
    Close,
    Intent,
    Notice,
    Notifier,
    Replace,
    Slot,
)
from pwtray.core.words import event_body
from pwtray.gateway import GridState
from pwtray.kinds import EventKind, Severity
from pwtray.monitor import Event
from pwtray.settings import Settings
from pwtray.ui.bridge import Bridge
from pwtray.ui.freedesktop import DesktopNotifications
from pwtray.ui.tray import TrayController
from tests.ui.conftest import until
from tests.ui.fakedesktop import DEFAULT_CAPABILITIES, FakeDesktop, Notification
from tests.ui.test_tray import T0, publish, snapshot

OUTAGE_FACTS: dict[str, float | str] = {"started_at": T0, "soe": 58.0}
OUTAGE_BODY = event_body(Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, T0, OUTAGE_FACTS))


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


@dataclass
class Rig:
    """A tray with the notification client on the fake desktop, inside one running loop (its
    background tasks must never step outside it: qasync's run_until_complete ends with a last
    round of Qt events that has no running loop)."""

    tray: TrayController
    notifier: Notifier
    notes: DesktopNotifications
    clock: Clock

    async def ask(self, query: Any, *args: Any) -> Any:
        """A blocking D-Bus query to the app, from a thread while the app's loop answers."""
        return await asyncio.to_thread(query, *args)

    async def wait(self, condition: Any, what: str) -> None:
        await until(condition, 10, what)

    def outage(self, started: float = T0) -> None:
        facts = {**OUTAGE_FACTS, "started_at": started}
        event = Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, started, facts)
        publish(self.tray, snapshot(grid=GridState.ISLANDED, taken_at=started), [event])

    def restore(self, started: float = T0) -> None:
        event = Event(EventKind.GRID_RESTORED, Severity.INFO, started + 60,
                      {"started_at": started, "duration_s": 60.0})  # fmt: skip
        publish(self.tray, snapshot(taken_at=started + 60), [event])


def arrived(desktop: FakeDesktop, seen: int, summary: str) -> Notification:
    return next(n for n in desktop.notifications[seen:] if n.summary == summary)


def has(desktop: FakeDesktop, seen: int, summary: str) -> bool:
    return any(n.summary == summary for n in desktop.notifications[seen:])


Scenario = Callable[[Rig], Coroutine[Any, Any, None]]
WithRig = Callable[[Scenario], None]


@pytest.fixture
def with_rig(qloop: asyncio.AbstractEventLoop, desktop: FakeDesktop) -> WithRig:
    """Runs a scenario with a notifying tray, from start to quit, in one coroutine."""

    async def whole(scenario: Scenario) -> None:
        clock = Clock()
        site = Site(effective(Settings()), password=None, history=None, supervisor=Supervisor())
        bridge = Bridge(site)
        notes = DesktopNotifications(app_icon="pwtray", desktop_entry="io.github.pwtray")
        tray: TrayController | None = None
        notifier = Notifier(lambda intent: tray.deliver(intent) if tray else None, clock=clock)
        registered = len(desktop.items)
        tray = TrayController(bridge, notifier, on_quit=lambda: None, on_refresh=lambda: None,
                              clock=clock, desktop_notifications=notes)  # fmt: skip
        rig = Rig(tray, notifier, notes, clock)
        try:
            assert await notes.start()
            await rig.wait(lambda: len(desktop.items) > registered, "the tray item")
            await scenario(rig)
        finally:
            await notes.aclose()
            tray.hide()
            bridge.close()

    return lambda scenario: qloop.run_until_complete(whole(scenario))


def test_the_outage_is_critical_stays_and_leaves_the_tray_icon_alone(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        rig.outage()  # the same outage again: said once
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        await asyncio.sleep(0.3)
        (note,) = desktop.notifications[seen:]
        assert (note.summary, note.body) == ("Grid outage", OUTAGE_BODY)
        assert note.urgency == 2  # critical, sent as a byte (the fake refuses an int32)
        assert note.timeout_ms == 0  # never expires by itself
        assert note.hint("resident") is True  # "Open pwtray" does not take it away
        assert note.hint("category") == "device.error"
        assert note.hint("desktop-entry") == "io.github.pwtray"
        assert note.actions == {"default": "Open pwtray", "acknowledge": "Acknowledge"}
        # pwtray's own icon, not a stock one
        assert (note.app_name, note.app_icon) == ("pwtray", "pwtray")
        assert note.id in desktop.open_ids()
        # Qt never showed a message itself, so it never swapped the item's icon for a stock one.
        assert rig.tray.balloons == 0
        status = await rig.ask(desktop.item_property, "Status")
        attention = await rig.ask(desktop.item_property, "AttentionIconName")
        assert (status, attention) == ("Active", "")
        assert rig.tray.ack_action.isVisible()

    with_rig(scenario)


def test_the_restore_replaces_the_outage_in_place(with_rig: WithRig, desktop: FakeDesktop) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        rig.restore()
        await rig.wait(lambda: has(desktop, seen, "Grid restored"), "the restore notice")
        outage, restored = desktop.notifications[seen:]
        assert (restored.id, restored.replaces_id) == (outage.id, outage.id)
        assert restored.urgency == 1
        assert restored.timeout_ms == -1  # expires as the desktop likes
        assert restored.actions == {"default": "Open pwtray"}
        assert not rig.tray.ack_action.isVisible()

    with_rig(scenario)


def test_a_second_outage_does_not_stack_on_the_first(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        before = desktop.open_ids()
        for started in (T0, T0 + 300):
            rig.outage(started)
            await rig.wait(lambda: desktop.notifications[-1].summary == "Grid outage", "an outage")
            rig.restore(started)
            await rig.wait(
                lambda: desktop.notifications[-1].summary == "Grid restored", "a restore"
            )
        summaries = [n.summary for n in desktop.notifications[seen:]]
        assert summaries == ["Grid outage", "Grid restored"] * 2
        assert len({n.id for n in desktop.notifications[seen:]}) == 1
        assert len(desktop.open_ids() - before) == 1

    with_rig(scenario)


def test_reminders_replace_the_outage_and_come_back_after_a_dismissal(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        first = arrived(desktop, seen, "Grid outage")
        rig.clock.now += OUTAGE_REPEAT_S
        rig.notifier.tick()
        await rig.wait(lambda: has(desktop, seen, "Grid still down"), "the reminder")
        reminder = arrived(desktop, seen, "Grid still down")
        assert (reminder.id, reminder.urgency) == (first.id, 2)
        assert reminder.body.startswith("The grid has been down for 10 min.")

        desktop.dismiss(first.id)  # the user closes it without acknowledging
        await rig.wait(lambda: Slot.GRID not in rig.notifier.showing, "the dismissal to be heard")
        count = len(desktop.notifications)
        rig.clock.now += OUTAGE_REPEAT_S
        rig.notifier.tick()
        await rig.wait(lambda: len(desktop.notifications) > count, "the next reminder")
        again = desktop.notifications[-1]
        assert again.summary == "Grid still down"
        assert (again.replaces_id, again.id != first.id) == (
            0,
            True,
        )  # a new one: nothing to replace

    with_rig(scenario)


def test_acknowledge_on_the_notification_closes_it_and_ends_the_reminders(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        note = arrived(desktop, seen, "Grid outage")
        desktop.invoke_action(note.id, "acknowledge")
        await rig.wait(lambda: (note.id, 3) in desktop.closed, "pwtray to close the notice")
        assert rig.notifier.outage_acknowledged
        assert not rig.tray.ack_action.isVisible()
        count = len(desktop.notifications)
        rig.clock.now += 3 * OUTAGE_REPEAT_S
        rig.notifier.tick()
        await asyncio.sleep(0.3)
        assert len(desktop.notifications) == count

    with_rig(scenario)


def test_a_click_opens_the_window_and_the_outage_stays(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        note = arrived(desktop, seen, "Grid outage")
        desktop.invoke_action(note.id, "default")
        await rig.wait(
            lambda: rig.tray.window is not None and rig.tray.window.isVisible(), "the window"
        )
        await asyncio.sleep(0.3)
        assert note.id in desktop.open_ids()  # resident: opening the window is not acknowledging
        assert not rig.notifier.outage_acknowledged

    with_rig(scenario)


def test_a_muted_kind_sends_nothing(with_rig: WithRig, desktop: FakeDesktop) -> None:
    async def scenario(rig: Rig) -> None:
        rig.notifier.enabled = frozenset({EventKind.GRID_OUTAGE})
        seen = len(desktop.notifications)
        full = Event(EventKind.BATTERY_FULL, Severity.INFO, T0)
        publish(rig.tray, snapshot(), [full])
        await asyncio.sleep(0.5)
        assert desktop.notifications[seen:] == []

    with_rig(scenario)


def test_signals_from_anyone_but_the_server_are_ignored(
    with_rig: WithRig, desktop: FakeDesktop
) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        await rig.wait(lambda: has(desktop, seen, "Grid outage"), "the outage notice")
        note = arrived(desktop, seen, "Grid outage")
        desktop.spoof_signal("ActionInvoked", "us", (note.id, "acknowledge"))
        desktop.spoof_signal("NotificationClosed", "uu", (note.id, 2))
        await asyncio.sleep(0.5)
        assert not rig.notifier.outage_acknowledged
        assert Slot.GRID in rig.notifier.showing

    with_rig(scenario)


def test_pwtrays_own_messages_go_to_the_service(with_rig: WithRig, desktop: FakeDesktop) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.tray.show_message("pwtray settings were reset", "settings.toml is not valid TOML.")
        await rig.wait(lambda: has(desktop, seen, "pwtray settings were reset"), "the message")
        assert arrived(desktop, seen, "pwtray settings were reset").urgency == 1
        assert rig.tray.balloons == 0

    with_rig(scenario)


def test_quitting_closes_pwtrays_notifications(with_rig: WithRig, desktop: FakeDesktop) -> None:
    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        rig.outage()
        rig.tray.show_message("Password kept for this session only", "No keyring.")
        await rig.wait(lambda: len(desktop.notifications) >= seen + 2, "both notices")
        ids = {n.id for n in desktop.notifications[seen:]}
        assert ids <= desktop.open_ids()
        await rig.notes.aclose()
        assert {(i, 3) for i in ids} <= set(desktop.closed)
        assert not ids & desktop.open_ids()

    with_rig(scenario)


# ---------------------------------------------------------------------- the client on its own
def outage_notice(body: str = OUTAGE_BODY) -> Notice:
    return Notice(Slot.GRID, "Grid outage", body, Severity.CRITICAL, EventKind.GRID_OUTAGE,
                  sticky=True, actions=(Action.OPEN, Action.ACKNOWLEDGE))  # fmt: skip


def deliver(qloop: asyncio.AbstractEventLoop, *intents: Intent) -> list[Intent]:
    """Start a client on the fake desktop, send ``intents``, quit; what went to the fallback."""
    fallback: list[Intent] = []

    async def go() -> None:
        notes = DesktopNotifications(fallback=fallback.append)
        for intent in intents:  # sent before the service is known: they wait for it
            notes.send(intent)
        await notes.start()
        await notes._pending.join()
        await notes.aclose()

    qloop.run_until_complete(go())
    return fallback


def test_without_actions_none_are_offered(qloop: asyncio.AbstractEventLoop,
                                          desktop: FakeDesktop) -> None:  # fmt: skip
    seen = len(desktop.notifications)
    with desktop.capabilities("body"):
        deliver(qloop, outage_notice())
    (note,) = desktop.notifications[seen:]
    assert note.actions == {}
    assert note.urgency == 2


def test_without_a_body_the_text_goes_into_the_summary(qloop: asyncio.AbstractEventLoop,
                                                       desktop: FakeDesktop) -> None:  # fmt: skip
    seen = len(desktop.notifications)
    with desktop.capabilities():
        deliver(qloop, outage_notice())
    (note,) = desktop.notifications[seen:]
    assert (note.summary, note.body) == (f"Grid outage: {OUTAGE_BODY}", "")


def test_text_is_escaped_only_where_the_body_is_markup(qloop: asyncio.AbstractEventLoop,
                                                       desktop: FakeDesktop) -> None:  # fmt: skip
    body = "Grid <frequency> out of range & voltage low"
    seen = len(desktop.notifications)
    with desktop.capabilities("body", "body-markup"):
        deliver(qloop, outage_notice(body))
    with desktop.capabilities("body"):
        deliver(qloop, outage_notice(body))
    marked_up, plain = desktop.notifications[seen:]
    assert marked_up.body == "Grid &lt;frequency&gt; out of range &amp; voltage low"
    assert plain.body == body


def test_close_and_replace_reach_the_same_notification(qloop: asyncio.AbstractEventLoop,
                                                       desktop: FakeDesktop) -> None:  # fmt: skip
    seen, closed = len(desktop.notifications), len(desktop.closed)
    restored = Notice(Slot.GRID, "Grid restored", "Back.", Severity.INFO, EventKind.GRID_RESTORED)
    deliver(qloop, outage_notice(), Replace(restored), Close(Slot.GRID))
    outage, restore = desktop.notifications[seen:]
    assert restore.id == outage.id
    assert desktop.closed[closed:] == [(outage.id, 3)]


def test_without_a_service_notices_go_to_the_fallback(
    qloop: asyncio.AbstractEventLoop, desktop: FakeDesktop, caplog: pytest.LogCaptureFixture
) -> None:
    seen = len(desktop.notifications)
    with desktop.without_notification_service(), caplog.at_level(logging.WARNING):
        fallback = deliver(qloop, outage_notice(), Close(Slot.GRID))
    assert fallback == [outage_notice(), Close(Slot.GRID)]
    assert desktop.notifications[seen:] == []
    assert "no desktop notification service" in caplog.text


def test_the_capabilities_are_restored_for_other_tests(desktop: FakeDesktop) -> None:
    with desktop.capabilities("body"):
        pass
    reply = desktop.call_notifications("GetCapabilities", "", ())
    assert tuple(reply.body[0]) == DEFAULT_CAPABILITIES
