"""A fake desktop on a private D-Bus session: a StatusNotifierWatcher (the tray host) and an
org.freedesktop.Notifications server that record what the app registers and sends.

The server runs in its own process (``python -m tests.ui.fakedesktop RECORD``), as a real desktop
does: Qt makes some D-Bus calls synchronously while holding the GIL, so a server thread in the
test process could not answer them. It appends what it sees to RECORD as JSON lines; tests read
that, and query the app's tray item (icon pixels, tooltip) over their own D-Bus connection.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jeepney import (
    DBusAddress,
    HeaderFields,
    MessageType,
    new_error,
    new_method_call,
    new_method_return,
)
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

WATCHER = "org.kde.StatusNotifierWatcher"
NOTIFICATIONS = "org.freedesktop.Notifications"
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


@dataclass
class Notification:
    app_name: str
    summary: str
    body: str
    hints: dict[str, Any]
    timeout_ms: int
    at: float

    @property
    def urgency(self) -> int | None:
        value = self.hints.get("urgency")
        return int(value[1]) if value else None


class FakeDesktop:
    """The test side: starts the server process, reads its record, queries the app's item."""

    def __init__(self, record: Path) -> None:
        self.record = record
        self._process: subprocess.Popen[str] | None = None
        self._query: DBusConnection | None = None

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

    def _entries(self, kind: str) -> list[dict[str, Any]]:
        lines = self.record.read_text().splitlines()
        entries = [json.loads(line) for line in lines if line.strip()]
        return [e for e in entries if e["kind"] == kind]

    @property
    def items(self) -> list[tuple[str, str]]:
        return [(e["bus_name"], e["path"]) for e in self._entries("item")]

    # ------------------------------------------------------------------ querying the app's item
    def item_property(self, name: str) -> Any:
        assert self._query is not None
        if not self.items:
            raise LookupError("no tray item registered")
        bus_name, path = self.items[-1]
        address = DBusAddress(path, bus_name=bus_name, interface="org.freedesktop.DBus.Properties")
        call = new_method_call(address, "Get", "ss", ("org.kde.StatusNotifierItem", name))
        reply = self._query.send_and_get_reply(call, timeout=5)
        if reply.header.message_type is MessageType.error:
            raise LookupError(f"{name}: {reply.body}")
        return reply.body[0][1]

    def icon_pixmaps(self) -> list[tuple[int, int, bytes]]:
        """The item's icon as (width, height, ARGB32 big-endian bytes) per size."""
        return [(w, h, bytes(data)) for w, h, data in self.item_property("IconPixmap")]

    def tooltip(self) -> tuple[str, str]:
        _icon, _pixmaps, title, text = self.item_property("ToolTip")
        return title, text

    @property
    def notifications(self) -> list[Notification]:
        return [
            Notification(
                e["app_name"], e["summary"], e["body"], e["hints"], e["timeout_ms"], e["at"]
            )
            for e in self._entries("notification")
        ]


@dataclass
class _Server:
    record: Path
    items: list[tuple[str, str]] = field(default_factory=list)
    _conn: DBusConnection | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _next_id: int = 0

    def run(self) -> None:
        self._conn = open_dbus_connection(bus="SESSION")
        for name in (WATCHER, NOTIFICATIONS):
            reply = self._conn.send_and_get_reply(message_bus.RequestName(name, 4))
            if reply.body[0] != 1:
                raise RuntimeError(f"could not own {name}")
        print("ready", flush=True)
        self._serve()

    def _write(self, entry: dict[str, Any]) -> None:
        with self.record.open("a") as out:
            out.write(json.dumps(entry) + "\n")

    # ------------------------------------------------------------------ serving
    def _serve(self) -> None:
        assert self._conn is not None
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.1)
            except TimeoutError:
                continue
            except OSError:
                return
            if msg.header.message_type is MessageType.method_call:
                self._answer(msg)

    def _answer(self, msg: Any) -> None:
        assert self._conn is not None
        fields = msg.header.fields
        interface = fields.get(HeaderFields.interface)
        member = fields.get(HeaderFields.member)
        sender = fields.get(HeaderFields.sender)
        path = fields.get(HeaderFields.path)
        if member == "Introspect":
            reply = new_method_return(
                msg, "s", (WATCHER_XML if path == "/StatusNotifierWatcher" else "<node/>",)
            )
        elif interface == WATCHER and member == "RegisterStatusNotifierItem":
            service = msg.body[0]
            item_path = service if service.startswith("/") else "/StatusNotifierItem"
            bus_name = sender if service.startswith("/") else service
            self.items.append((bus_name, item_path))
            self._write({"kind": "item", "bus_name": bus_name, "path": item_path})
            reply = new_method_return(msg)
        elif interface == WATCHER and member == "RegisterStatusNotifierHost":
            reply = new_method_return(msg)
        elif interface == "org.freedesktop.DBus.Properties" and member in ("Get", "GetAll"):
            props = {
                "IsStatusNotifierHostRegistered": ("b", True),
                "ProtocolVersion": ("i", 0),
                "RegisteredStatusNotifierItems": ("as", [b for b, _ in self.items]),
            }
            if member == "Get":
                reply = new_method_return(msg, "v", (props[msg.body[1]],))
            else:
                reply = new_method_return(msg, "a{sv}", (props,))
        elif interface == NOTIFICATIONS and member == "Notify":
            app_name, _replaces, _icon, summary, body, _actions, hints, timeout = msg.body
            self._next_id += 1
            urgency = dict(hints).get("urgency")
            entry = {
                "kind": "notification",
                "app_name": app_name,
                "summary": summary,
                "body": body,
                "hints": {"urgency": list(urgency) if urgency else None},
                "timeout_ms": timeout,
                "at": time.time(),
            }
            self._write(entry)
            reply = new_method_return(msg, "u", (self._next_id,))
        elif interface == NOTIFICATIONS and member == "GetCapabilities":
            reply = new_method_return(msg, "as", (["body", "persistence", "actions"],))
        elif interface == NOTIFICATIONS and member == "GetServerInformation":
            reply = new_method_return(msg, "ssss", ("fake-desktop", "pwtray", "1", "1.2"))
        elif interface == NOTIFICATIONS and member == "CloseNotification":
            reply = new_method_return(msg)
        else:
            reply = new_error(
                msg, "org.freedesktop.DBus.Error.UnknownMethod", "s", (f"{interface}.{member}",)
            )
        self._conn.send(reply)


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
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
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
