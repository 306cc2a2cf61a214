"""The fake desktop is only as good as its fidelity: it refuses what the specifications forbid
(and a real daemon would silently mishandle), and behaves as they say where pwtray relies on it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from jeepney import DBusAddress, HeaderFields, MatchRule, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from tests.ui.fakedesktop import (
    NOTIFICATIONS,
    NOTIFICATIONS_PATH,
    NOTIFY_SIGNATURE,
    WATCHER,
    FakeDesktop,
)

INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"


def notify_args(**hints: tuple[str, Any]) -> tuple[Any, ...]:
    return ("test", 0, "", "Grid outage", "body", [], hints, -1)


def error_name(reply: Any) -> str | None:
    if reply.header.message_type is not MessageType.error:
        return None
    return str(reply.header.fields[HeaderFields.error_name])


@pytest.fixture
def listener(desktop: FakeDesktop) -> Iterator[DBusConnection]:
    """A second client that hears the server's (broadcast) signals."""
    connection = open_dbus_connection(bus="SESSION")
    rule = MatchRule(type="signal", interface=NOTIFICATIONS, path=NOTIFICATIONS_PATH)
    connection.send_and_get_reply(message_bus.AddMatch(rule), timeout=5)
    yield connection
    connection.close()


def test_an_int32_urgency_is_refused(desktop: FakeDesktop) -> None:
    """What Qt's showMessage sends: dunst shows such an "outage" as an ordinary notice."""
    reply = desktop.call_notifications("Notify", NOTIFY_SIGNATURE, notify_args(urgency=("i", 2)))
    assert error_name(reply) == INVALID_ARGS
    assert "urgency" in reply.body[0]
    (violation,) = desktop.take_violations()
    assert violation["problems"] == ["hint 'urgency' must be of type y, not i"]


def test_a_wrong_notify_signature_is_refused(desktop: FakeDesktop) -> None:
    # replaces_id as a signed int: a common mistake of untyped bindings
    reply = desktop.call_notifications("Notify", "sisssasa{sv}i", notify_args())
    assert error_name(reply) == INVALID_ARGS
    assert len(desktop.take_violations()) == 1


@pytest.mark.parametrize(
    ("hints", "problem"),
    [
        ({"urgency": ("y", 3)}, "urgency 3"),
        ({"category": ("s", "power.outage")}, "category 'power.outage'"),
        ({"resident": ("s", "true")}, "'resident' must be of type b"),
        ({"image-data": ("(iiibiiay)", (4, 4, 16, True, 8, 4, b"\0" * 15))}, "cannot hold"),
    ],
)
def test_hints_must_have_the_specs_types(
    desktop: FakeDesktop, hints: dict[str, tuple[str, Any]], problem: str
) -> None:
    reply = desktop.call_notifications("Notify", NOTIFY_SIGNATURE, notify_args(**hints))
    assert error_name(reply) == INVALID_ARGS
    (violation,) = desktop.take_violations()
    assert problem in violation["problems"][0]


def test_vendor_hints_and_categories_are_allowed(desktop: FakeDesktop) -> None:
    hints = {"category": ("s", "x-pwtray.grid"), "x-dunst-stack-tag": ("s", "grid")}
    reply = desktop.call_notifications("Notify", NOTIFY_SIGNATURE, notify_args(**hints))
    assert reply.header.message_type is MessageType.method_return
    desktop.call_notifications("CloseNotification", "u", (reply.body[0],))


def test_replace_keeps_the_id_and_close_says_so_with_reason_3(
    desktop: FakeDesktop, listener: DBusConnection
) -> None:
    first = desktop.call_notifications("Notify", NOTIFY_SIGNATURE, notify_args()).body[0]
    args = list(notify_args())
    args[1] = first
    again = desktop.call_notifications("Notify", NOTIFY_SIGNATURE, tuple(args)).body[0]
    assert again == first
    assert desktop.call_notifications("CloseNotification", "u", (first,)).body == ()
    signal = listener.receive(timeout=5)
    while signal.header.fields.get(HeaderFields.member) != "NotificationClosed":
        signal = listener.receive(timeout=5)
    assert signal.body == (first, 3)
    # Closing what no longer exists is an error, as the spec says.
    gone = desktop.call_notifications("CloseNotification", "u", (first,))
    assert gone.header.message_type is MessageType.error


def test_the_watcher_refuses_a_registration_of_the_wrong_type(desktop: FakeDesktop) -> None:
    connection = open_dbus_connection(bus="SESSION")
    try:
        address = DBusAddress("/StatusNotifierWatcher", bus_name=WATCHER, interface=WATCHER)
        call = new_method_call(address, "RegisterStatusNotifierItem", "i", (1,))
        reply = connection.send_and_get_reply(call, timeout=5)
    finally:
        connection.close()
    assert error_name(reply) == INVALID_ARGS
    assert len(desktop.take_violations()) == 1


def test_qts_own_show_message_is_refused(
    qapp: QApplication, desktop: FakeDesktop, qtbot: QtBot
) -> None:
    """Why pwtray never calls QSystemTrayIcon.showMessage where a notification service exists:
    Qt sends the urgency as an int32 (and swaps the tray icon for a stock one meanwhile)."""
    pixmap = QPixmap(22, 22)
    pixmap.fill()
    tray = QSystemTrayIcon(QIcon(pixmap))
    tray.show()
    try:
        tray.showMessage("Grid outage", "body", QSystemTrayIcon.MessageIcon.Critical, 1000)
        qtbot.waitUntil(lambda: len(desktop.violations) > 0, timeout=5000)
        qtbot.wait(200)
        violations = desktop.take_violations()
    finally:
        tray.hide()
        tray.deleteLater()
        qtbot.wait(50)
    assert [v["problems"] for v in violations] == [["hint 'urgency' must be of type y, not i"]]
