"""A fake desktop on a private D-Bus session: a StatusNotifierWatcher (the tray host) and an
org.freedesktop.Notifications server, held to their specifications, recording what the app sends.

The server runs in its own process (``python -m tests.ui.fakedesktop RECORD``), as a real desktop
does: Qt makes some D-Bus calls synchronously while holding the GIL, so a server thread in the
test process could not answer them. It appends what it sees to RECORD as JSON lines; tests read
that, and query the app's tray item (icon pixels, tooltip) over their own D-Bus connection.

A fake is only as good as its fidelity: Qt's own ``showMessage`` sent the urgency as an int32, a
real daemon took it for "normal", and the old fake took it for anything. So this one checks what
a real server would silently mishandle, and answers with ``InvalidArgs`` (recorded as a
*violation*, which fails the test that caused it — see tests/ui/conftest.py):

- Notifications (Desktop Notifications Specification 1.2): ``Notify`` must be called with the
  signature ``susssasa{sv}i``; each known hint must have the spec's type (``urgency`` a byte
  0, 1 or 2, ``category`` one of the spec's categories or ``x-vendor.…``,
  ``resident``/``transient`` booleans, ``image-data`` a consistent ``(iiibiiay)``); actions come
  in key/label pairs; ``replaces_id`` returns the same id; ``CloseNotification(u)`` emits
  ``NotificationClosed`` with reason 3; actions are invoked, notices dismissed or expired when a
  test asks (signals as GNOME sends them: broadcast, so a client must subscribe); a notice not
  marked ``resident`` goes away once an action is invoked. Capabilities are set per test.
- StatusNotifierWatcher: ``RegisterStatusNotifierItem(s)``/``RegisterStatusNotifierHost(s)`` with
  those signatures, the ``StatusNotifierItemRegistered`` signal, typed properties. The item
  itself is Qt's: :meth:`FakeDesktop.item_violations` checks its properties' types against the
  StatusNotifierItem interface.

The bus has no service directories: nothing real (dunst, a keyring) can be D-Bus-activated on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
    new_signal,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

WATCHER = "org.kde.StatusNotifierWatcher"
NOTIFICATIONS = "org.freedesktop.Notifications"
NOTIFICATIONS_PATH = "/org/freedesktop/Notifications"
CONTROL = "org.pwtray.test.FakeDesktop"  # the tests' handle on the fake (not a real interface)
INVALID_ARGS = "org.freedesktop.DBus.Error.InvalidArgs"
NOTIFY_SIGNATURE = "susssasa{sv}i"
DEFAULT_CAPABILITIES = ("actions", "body", "body-markup", "icon-static", "persistence")

# The spec's hints ("Hints" table) and their types; other names are allowed (vendor hints).
HINT_TYPES = {
    "action-icons": "b",
    "category": "s",
    "desktop-entry": "s",
    "image-data": "(iiibiiay)",
    "image_data": "(iiibiiay)",
    "icon_data": "(iiibiiay)",
    "image-path": "s",
    "image_path": "s",
    "resident": "b",
    "sound-file": "s",
    "sound-name": "s",
    "suppress-sound": "b",
    "transient": "b",
    "x": "i",
    "y": "i",
    "urgency": "y",
}
# The spec's categories ("Categories" table); "x-vendor.class" names are allowed too.
CATEGORIES = frozenset(
    {
        "call",
        "call.ended",
        "call.incoming",
        "call.unanswered",
        "device",
        "device.added",
        "device.error",
        "device.removed",
        "email",
        "email.arrived",
        "email.bounced",
        "im",
        "im.error",
        "im.received",
        "network",
        "network.connected",
        "network.disconnected",
        "network.error",
        "presence",
        "presence.offline",
        "presence.online",
        "transfer",
        "transfer.complete",
        "transfer.error",
    }
)
# org.kde.StatusNotifierItem's properties, as its interface XML (and Qt's adaptor) types them.
ITEM_PROPERTY_TYPES = {
    "Category": "s",
    "Id": "s",
    "Title": "s",
    "Status": "s",
    "WindowId": "i",
    "IconThemePath": "s",
    "Menu": "o",
    "ItemIsMenu": "b",
    "IconName": "s",
    "IconPixmap": "a(iiay)",
    "OverlayIconName": "s",
    "OverlayIconPixmap": "a(iiay)",
    "AttentionIconName": "s",
    "AttentionIconPixmap": "a(iiay)",
    "AttentionMovieName": "s",
    "ToolTip": "(sa(iiay)ss)",
}
ITEM_STATUSES = frozenset({"Passive", "Active", "NeedsAttention"})
ITEM_CATEGORIES = frozenset({"ApplicationStatus", "Communications", "SystemServices", "Hardware"})
WATCHER_XML = """<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
<node>
 <interface name="org.kde.StatusNotifierWatcher">
  <method name="RegisterStatusNotifierItem"><arg name="service" type="s" direction="in"/></method>
  <method name="RegisterStatusNotifierHost"><arg name="service" type="s" direction="in"/></method>
  <property name="RegisteredStatusNotifierItems" type="as" access="read"/>
  <property name="IsStatusNotifierHostRegistered" type="b" access="read"/>
  <property name="ProtocolVersion" type="i" access="read"/>
  <signal name="StatusNotifierItemRegistered"><arg type="s"/></signal>
  <signal name="StatusNotifierItemUnregistered"><arg type="s"/></signal>
  <signal name="StatusNotifierHostRegistered"/>
 </interface>
 <interface name="org.freedesktop.DBus.Properties">
  <method name="Get">
   <arg type="s" direction="in"/><arg type="s" direction="in"/><arg type="v" direction="out"/>
  </method>
  <method name="GetAll"><arg type="s" direction="in"/><arg type="a{sv}" direction="out"/></method>
 </interface>
</node>"""


# ---------------------------------------------------------------------- the spec's checks
def notify_violations(signature: str, body: tuple[Any, ...]) -> list[str]:
    """What is wrong with a ``Notify`` call, by the specification (empty: nothing)."""
    if signature != NOTIFY_SIGNATURE:
        return [f"Notify takes ({NOTIFY_SIGNATURE}), was called with ({signature})"]
    _app, _replaces, _icon, _summary, _body, actions, hints, timeout = body
    problems = []
    if len(actions) % 2:
        problems.append(f"actions must be key/label pairs, got {len(actions)} strings")
    if timeout < -1:
        problems.append(f"expire_timeout {timeout} is below -1")
    for name, (hint_signature, value) in hints.items():
        wanted = HINT_TYPES.get(name)
        if wanted is not None and hint_signature != wanted:
            problems.append(f"hint {name!r} must be of type {wanted}, not {hint_signature}")
        elif name == "urgency" and value not in (0, 1, 2):
            problems.append(f"urgency {value} is not 0 (low), 1 (normal) or 2 (critical)")
        elif name == "category" and value not in CATEGORIES and not value.startswith("x-"):
            problems.append(f"category {value!r} is not one of the specification's")
        elif wanted == "(iiibiiay)":
            problems += _image_violations(name, value)
    return problems


def _image_violations(name: str, value: tuple[Any, ...]) -> list[str]:
    width, height, rowstride, alpha, bits, channels, data = value
    if bits != 8 or channels != (4 if alpha else 3):
        return [f"{name}: {bits} bits x {channels} channels (alpha {alpha}) is not what it says"]
    needed = rowstride * (height - 1) + width * channels
    if width <= 0 or height <= 0 or rowstride < width * channels or len(data) < needed:
        return [f"{name}: {len(data)} bytes cannot hold {width}x{height} at stride {rowstride}"]
    return []


def item_violations(properties: dict[str, tuple[str, Any]]) -> list[str]:
    """What is wrong with a StatusNotifierItem's properties (``GetAll``), by its interface."""
    problems = []
    for name, wanted in ITEM_PROPERTY_TYPES.items():
        if name not in properties:
            continue  # the spec's properties are all optional for the host to read
        signature, value = properties[name]
        if signature != wanted:
            problems.append(f"{name} must be of type {wanted}, not {signature}")
        elif name == "Status" and value not in ITEM_STATUSES:
            problems.append(f"Status {value!r} is not one of {sorted(ITEM_STATUSES)}")
        elif name == "Category" and value not in ITEM_CATEGORIES:
            problems.append(f"Category {value!r} is not one of {sorted(ITEM_CATEGORIES)}")
        elif wanted == "a(iiay)":
            for width, height, data in value:
                if len(data) != width * height * 4:
                    problems.append(f"{name}: {width}x{height} needs {width * height * 4} bytes")
    for required in ("Id", "Status", "Category"):
        if required not in properties:
            problems.append(f"{required} is missing")
    return problems


# ---------------------------------------------------------------------- the test side
@dataclass(frozen=True)
class Notification:
    id: int
    replaces_id: int
    app_name: str
    app_icon: str
    summary: str
    body: str
    actions: dict[str, str]  # key -> label, in the order sent
    hints: dict[str, Any]  # name -> [signature, value]; image data as its length
    timeout_ms: int
    at: float
    sender: str

    @property
    def urgency(self) -> int | None:
        value = self.hints.get("urgency")
        return int(value[1]) if value else None

    def hint(self, name: str) -> Any:
        value = self.hints.get(name)
        return value[1] if value else None


def _notification(entry: dict[str, Any]) -> Notification:
    actions = entry["actions"]
    return Notification(
        id=entry["id"],
        replaces_id=entry["replaces_id"],
        app_name=entry["app_name"],
        app_icon=entry["app_icon"],
        summary=entry["summary"],
        body=entry["body"],
        actions=dict(zip(actions[::2], actions[1::2], strict=True)),
        hints=entry["hints"],
        timeout_ms=entry["timeout_ms"],
        at=entry["at"],
        sender=entry["sender"],
    )


class FakeDesktop:
    """The test side: starts the server process, reads its record, queries the app's item and
    drives the server (capabilities, user actions) over its control interface."""

    def __init__(self, record: Path) -> None:
        self.record = record
        self._process: subprocess.Popen[str] | None = None
        self._query: DBusConnection | None = None
        self._violations_taken = 0

    def start(self) -> FakeDesktop:
        self.record.write_text("")
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.ui.fakedesktop", str(self.record)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdout is not None
        if self._process.stdout.readline().strip() != "ready":
            raise RuntimeError("the fake desktop did not start")
        self._process.stdout.close()
        self._query = open_dbus_connection(bus="SESSION")
        return self

    def stop(self) -> None:
        if self._query is not None:
            self._query.close()
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=5)

    @property
    def own_name(self) -> str:
        """This side's bus name (calls it makes on purpose are not the app's doing)."""
        assert self._query is not None
        return str(self._query.unique_name)

    def _entries(self, kind: str) -> list[dict[str, Any]]:
        lines = self.record.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return [e for e in entries if e["kind"] == kind]

    @property
    def items(self) -> list[tuple[str, str]]:
        return [(e["bus_name"], e["path"]) for e in self._entries("item")]

    # ------------------------------------------------------------------ what the app sent
    @property
    def notifications(self) -> list[Notification]:
        """Every valid ``Notify`` call, in order (a replacement is a new entry, same id)."""
        return [_notification(e) for e in self._entries("notification")]

    @property
    def closed(self) -> list[tuple[int, int]]:
        """(id, reason) for every NotificationClosed the server emitted."""
        return [(e["id"], e["reason"]) for e in self._entries("closed")]

    @property
    def violations(self) -> list[dict[str, Any]]:
        """Calls the specifications forbid (each was answered with an error)."""
        return self._entries("violation")

    def take_violations(self) -> list[dict[str, Any]]:
        """The violations since the last take (a test that provokes some takes them)."""
        violations = self.violations
        taken, self._violations_taken = violations[self._violations_taken :], len(violations)
        return taken

    def open_ids(self) -> set[int]:
        shown = {n.id for n in self.notifications}
        return shown - {notification_id for notification_id, _ in self.closed}

    # ------------------------------------------------------------------ driving the server
    def _control(
        self, method: str, signature: str | None = None, body: tuple[Any, ...] = ()
    ) -> Any:
        assert self._query is not None
        address = DBusAddress("/", bus_name=CONTROL, interface=CONTROL)
        reply = self._query.send_and_get_reply(
            new_method_call(address, method, signature, body), timeout=5
        )
        if reply.header.message_type is MessageType.error:
            raise LookupError(f"{method}: {reply.body[0] if reply.body else reply.header}")
        return reply.body

    def set_capabilities(self, capabilities: tuple[str, ...]) -> None:
        self._control("SetCapabilities", "as", (list(capabilities),))

    @contextlib.contextmanager
    def capabilities(self, *capabilities: str) -> Iterator[None]:
        """Within the block the server offers only ``capabilities``."""
        self.set_capabilities(capabilities)
        try:
            yield
        finally:
            self.set_capabilities(DEFAULT_CAPABILITIES)

    def invoke_action(self, notification_id: int, key: str) -> None:
        """The user chooses ``key`` ("default": clicks the notification)."""
        self._control("InvokeAction", "us", (notification_id, key))

    def dismiss(self, notification_id: int) -> None:
        """The user closes the notification (reason 2)."""
        self._control("Close", "uu", (notification_id, 2))

    def expire(self, notification_id: int) -> None:
        """The notification times out (reason 1)."""
        self._control("Close", "uu", (notification_id, 1))

    @contextlib.contextmanager
    def without_notification_service(self) -> Iterator[None]:
        """Within the block nobody owns org.freedesktop.Notifications (and none can start)."""
        self._control("OwnNotifications", "b", (False,))
        try:
            yield
        finally:
            self._control("OwnNotifications", "b", (True,))

    def call_notifications(self, method: str, signature: str, body: tuple[Any, ...]) -> Any:
        """Call the server as a (possibly wrong) client would; returns the reply message."""
        assert self._query is not None
        address = DBusAddress(NOTIFICATIONS_PATH, bus_name=NOTIFICATIONS, interface=NOTIFICATIONS)
        return self._query.send_and_get_reply(
            new_method_call(address, method, signature, body), timeout=5
        )

    def spoof_signal(self, member: str, signature: str, body: tuple[Any, ...]) -> None:
        """Send a Notifications signal from this side, not from the server (a client must
        believe only the server it talks to)."""
        assert self._query is not None
        address = DBusAddress(NOTIFICATIONS_PATH, interface=NOTIFICATIONS)
        self._query.send(new_signal(address, member, signature, body))

    # ------------------------------------------------------------------ querying the app's item
    def _item_call(self, method: str, signature: str, body: tuple[Any, ...]) -> Any:
        assert self._query is not None
        if not self.items:
            raise LookupError("no tray item registered")
        bus_name, path = self.items[-1]
        address = DBusAddress(path, bus_name=bus_name, interface="org.freedesktop.DBus.Properties")
        reply = self._query.send_and_get_reply(
            new_method_call(address, method, signature, body), timeout=5
        )
        if reply.header.message_type is MessageType.error:
            raise LookupError(f"{method} {body}: {reply.body}")
        return reply.body[0]

    def item_property(self, name: str) -> Any:
        return self._item_call("Get", "ss", ("org.kde.StatusNotifierItem", name))[1]

    def item_properties(self) -> dict[str, tuple[str, Any]]:
        """All the item's properties as (D-Bus type, value)."""
        return dict(self._item_call("GetAll", "s", ("org.kde.StatusNotifierItem",)))

    def item_violations(self) -> list[str]:
        return item_violations(self.item_properties())

    def icon_pixmaps(self) -> list[tuple[int, int, bytes]]:
        """The item's icon as (width, height, ARGB32 big-endian bytes) per size."""
        return [(w, h, bytes(data)) for w, h, data in self.item_property("IconPixmap")]

    def tooltip(self) -> tuple[str, str]:
        _icon, _pixmaps, title, text = self.item_property("ToolTip")
        return title, text


# ---------------------------------------------------------------------- the server process
def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return {"bytes": len(value)}
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


class _Server:
    def __init__(self, record: Path) -> None:
        self.record = record
        self.items: list[tuple[str, str]] = []
        self.capabilities = list(DEFAULT_CAPABILITIES)
        self.open: dict[int, dict[str, Any]] = {}  # id -> {"actions": [...], "resident": bool}
        self.next_id = 0
        self._conn: DBusConnection | None = None

    def run(self) -> None:
        self._conn = open_dbus_connection(bus="SESSION")
        for name in (CONTROL, WATCHER, NOTIFICATIONS):
            self._own(name, own=True)
        print("ready", flush=True)
        self._serve()

    def _own(self, name: str, *, own: bool) -> None:
        assert self._conn is not None
        if own:
            reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 4))
            if reply.body[0] != 1:
                raise RuntimeError(f"could not own {name}")
        else:
            self._conn.send_and_get_reply(message_bus.ReleaseName(name))

    def _write(self, entry: dict[str, Any]) -> None:
        with self.record.open("a") as out:
            out.write(json.dumps({**entry, "at": time.time()}) + "\n")

    def _emit(self, path: str, interface: str, member: str, signature: str | None = None,
              body: tuple[Any, ...] = ()) -> None:  # fmt: skip
        assert self._conn is not None
        self._conn.send(new_signal(DBusAddress(path, interface=interface), member, signature, body))

    # ------------------------------------------------------------------ serving
    def _serve(self) -> None:
        assert self._conn is not None
        while True:
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type is MessageType.method_call:
                self._conn.send(self._answer(msg))

    def _answer(self, msg: Any) -> Any:
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        path = fields.get(HeaderFields.path)
        signature = fields.get(HeaderFields.signature, "")
        if member == "Introspect":
            return new_method_return(
                msg, "s", (WATCHER_XML if path == "/StatusNotifierWatcher" else "<node/>",)
            )
        if interface == CONTROL:
            return self._control(msg, member)
        if interface == WATCHER:
            return self._watcher(msg, member, signature)
        if interface == "org.freedesktop.DBus.Properties" and member in ("Get", "GetAll"):
            return self._watcher_properties(msg, member)
        if interface == NOTIFICATIONS:
            return self._notifications(msg, member, signature)
        return new_error(
            msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"{interface}.{member}",)
        )

    def _invalid(self, msg: Any, problems: list[str]) -> Any:
        member = msg.header.fields.get(HeaderFields.member)
        sender = msg.header.fields.get(HeaderFields.sender)
        self._write({"kind": "violation", "member": member, "sender": sender,
                     "problems": problems})  # fmt: skip
        return new_error(msg, INVALID_ARGS, "s", ("; ".join(problems),))

    # ------------------------------------------------------------------ the tray host
    def _watcher(self, msg: Any, member: str, signature: str) -> Any:
        if member not in ("RegisterStatusNotifierItem", "RegisterStatusNotifierHost"):
            return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))
        if signature != "s":
            return self._invalid(msg, [f"{member} takes (s), was called with ({signature})"])
        if member == "RegisterStatusNotifierHost":
            return new_method_return(msg)
        service = msg.body[0]
        sender = msg.header.fields.get(HeaderFields.sender)
        item_path = service if service.startswith("/") else "/StatusNotifierItem"
        bus_name = sender if service.startswith("/") else service
        self.items.append((bus_name, item_path))
        self._write({"kind": "item", "bus_name": bus_name, "path": item_path})
        self._emit("/StatusNotifierWatcher", WATCHER, "StatusNotifierItemRegistered", "s",
                   (f"{bus_name}{item_path}",))  # fmt: skip
        return new_method_return(msg)

    def _watcher_properties(self, msg: Any, member: str) -> Any:
        props = {
            "IsStatusNotifierHostRegistered": ("b", True),
            "ProtocolVersion": ("i", 0),
            "RegisteredStatusNotifierItems": ("as", [b for b, _ in self.items]),
        }
        if msg.body[0] != WATCHER:
            return new_error(msg, INVALID_ARGS, "s", (f"no interface {msg.body[0]}",))
        if member == "GetAll":
            return new_method_return(msg, "a{sv}", (props,))
        if msg.body[1] not in props:
            return new_error(msg, INVALID_ARGS, "s", (f"no property {msg.body[1]}",))
        return new_method_return(msg, "v", (props[msg.body[1]],))

    # ------------------------------------------------------------------ notifications
    def _notifications(self, msg: Any, member: str, signature: str) -> Any:
        if member == "Notify":
            return self._notify(msg, signature)
        if member == "CloseNotification":
            if signature != "u":
                return self._invalid(msg, [f"CloseNotification takes (u), not ({signature})"])
            (notification_id,) = msg.body
            if notification_id not in self.open:
                # The spec: "If the notification no longer exists, an empty D-BUS Error message
                # is sent back."
                return new_error(msg, "org.freedesktop.Notifications.Error.NotFound")
            self._close(notification_id, 3)
            return new_method_return(msg)
        if member == "GetCapabilities":
            return new_method_return(msg, "as", (self.capabilities,))
        if member == "GetServerInformation":
            return new_method_return(msg, "ssss", ("fake-desktop", "pwtray tests", "1", "1.2"))
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))

    def _notify(self, msg: Any, signature: str) -> Any:
        problems = notify_violations(signature, msg.body)
        if problems:
            return self._invalid(msg, problems)
        app_name, replaces_id, app_icon, summary, body, actions, hints, timeout = msg.body
        if replaces_id:
            notification_id = replaces_id  # the spec: the same id comes back
        else:
            self.next_id += 1
            notification_id = self.next_id
        resident = hints.get("resident", ("b", False))[1]
        self.open[notification_id] = {"actions": list(actions[::2]), "resident": resident}
        self._write({
            "kind": "notification", "id": notification_id, "replaces_id": replaces_id,
            "app_name": app_name, "app_icon": app_icon, "summary": summary, "body": body,
            "actions": list(actions), "hints": _jsonable(hints), "timeout_ms": timeout,
            "sender": msg.header.fields.get(HeaderFields.sender),
        })  # fmt: skip
        return new_method_return(msg, "u", (notification_id,))

    def _close(self, notification_id: int, reason: int) -> None:
        del self.open[notification_id]
        self._write({"kind": "closed", "id": notification_id, "reason": reason})
        self._emit(NOTIFICATIONS_PATH, NOTIFICATIONS, "NotificationClosed", "uu",
                   (notification_id, reason))  # fmt: skip

    # ------------------------------------------------------------------ the tests' handle
    def _control(self, msg: Any, member: str) -> Any:
        if member == "SetCapabilities":
            self.capabilities = list(msg.body[0])
        elif member == "OwnNotifications":
            self._own(NOTIFICATIONS, own=msg.body[0])
        elif member == "InvokeAction":
            notification_id, key = msg.body
            shown = self.open.get(notification_id)
            if shown is None or key not in shown["actions"]:
                return new_error(msg, INVALID_ARGS, "s", (f"#{notification_id} offers no {key!r}",))
            self._write({"kind": "action", "id": notification_id, "key": key})
            self._emit(NOTIFICATIONS_PATH, NOTIFICATIONS, "ActivationToken", "us",
                       (notification_id, f"fake-token-{notification_id}"))  # fmt: skip
            self._emit(NOTIFICATIONS_PATH, NOTIFICATIONS, "ActionInvoked", "us",
                       (notification_id, key))  # fmt: skip
            if not shown["resident"]:
                self._close(notification_id, 2)
        elif member == "Close":
            notification_id, reason = msg.body
            if notification_id not in self.open:
                return new_error(msg, INVALID_ARGS, "s", (f"#{notification_id} is not open",))
            self._close(notification_id, reason)
        else:
            return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (member,))
        return new_method_return(msg)


# ---------------------------------------------------------------------- the whole desktop
def _bus_config(folder: Path) -> Path:
    """A session bus like the standard one, minus its service directories."""
    standard = Path("/usr/share/dbus-1/session.conf").read_text()
    empty = folder / "dbus-services"
    empty.mkdir(exist_ok=True)
    config, replaced = re.subn(r"<standard_session_servicedirs\s*/>",
                               f"<servicedir>{empty}</servicedir>", standard)  # fmt: skip
    if not replaced:
        raise RuntimeError("/usr/share/dbus-1/session.conf has no standard service directories")
    path = folder / "session.conf"
    path.write_text(config)
    return path


@contextlib.contextmanager
def private_desktop(record_dir: Path) -> Iterator[FakeDesktop]:
    """Xvfb, a private D-Bus session bus and a fake desktop on it; sets DISPLAY,
    DBUS_SESSION_BUS_ADDRESS, QT_QPA_PLATFORM and XDG_RUNTIME_DIR while it runs."""
    os.chmod(record_dir, 0o700)
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=[write_end],
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        display = ":" + pipe.readline().strip()
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={_bus_config(record_dir)}", "--nofork", "--nopidfile",
         "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    names = ("DISPLAY", "DBUS_SESSION_BUS_ADDRESS", "QT_QPA_PLATFORM", "XDG_RUNTIME_DIR")
    saved = {k: os.environ.get(k) for k in names}
    os.environ.update(DISPLAY=display, DBUS_SESSION_BUS_ADDRESS=address, QT_QPA_PLATFORM="xcb",
                      XDG_RUNTIME_DIR=str(record_dir))  # fmt: skip
    fake = FakeDesktop(record_dir / "desktop-record.jsonl").start()
    try:
        yield fake
    finally:
        fake.stop()
        bus.terminate()
        xvfb.terminate()
        bus.wait(5)
        xvfb.wait(5)
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


if __name__ == "__main__":
    _Server(Path(sys.argv[1])).run()
