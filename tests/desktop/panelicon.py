"""The tray icon as the real panel shows it: what the app registered and where the panel drew it.

- :func:`tray_item` / :func:`icon_pixmaps` / :func:`tooltip_title` ask the StatusNotifierItem the
  app registered with the panel (over the desktop's own session bus, with jeepney);
- :func:`screen` reads a screenshot as an RGB array; :func:`find_icon` finds a registered pixmap
  in the panel strip by template matching (the panel may scale it: the match says how well).
Reading the digits there: tests/iconreading.py.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.desktop.realdesktop import RealDesktop
from tests.iconreading import Array

WATCHER = DBusAddress(
    "/StatusNotifierWatcher",
    bus_name="org.kde.StatusNotifierWatcher",
    interface="org.freedesktop.DBus.Properties",
)


# ---------------------------------------------------------------------- the registered item
@contextmanager
def session_bus(desktop: RealDesktop) -> Iterator[DBusConnection]:
    connection = open_dbus_connection(bus=desktop.env["DBUS_SESSION_BUS_ADDRESS"])
    try:
        yield connection
    finally:
        connection.close()


def _get(connection: DBusConnection, address: DBusAddress, interface: str, name: str) -> Any:
    reply = connection.send_and_get_reply(
        new_method_call(address, "Get", "ss", (interface, name)), timeout=5
    )
    if reply.header.message_type is MessageType.error:
        raise LookupError(f"{interface}.{name}: {reply.body}")
    return reply.body[0][1]


def tray_item(connection: DBusConnection) -> DBusAddress | None:
    """The one StatusNotifierItem registered with the panel, or None before there is one."""
    items = _get(
        connection, WATCHER, "org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems"
    )
    if not items:
        return None
    assert len(items) == 1, f"expected pwtray's item alone on the panel, found {items}"
    bus_name, _, path = items[0].partition("/")
    return DBusAddress("/" + path, bus_name=bus_name, interface="org.freedesktop.DBus.Properties")


def item_property(connection: DBusConnection, item: DBusAddress, name: str) -> Any:
    return _get(connection, item, "org.kde.StatusNotifierItem", name)


def icon_pixmaps(connection: DBusConnection, item: DBusAddress) -> dict[int, Array]:
    """The item's IconPixmap entries as RGBA arrays, by width."""
    pixmaps = {}
    for width, height, data in item_property(connection, item, "IconPixmap"):
        argb = np.frombuffer(bytes(data), dtype=np.uint8).reshape(height, width, 4)
        pixmaps[width] = argb[..., [1, 2, 3, 0]]  # network-order ARGB -> RGBA
    return pixmaps


def tooltip_title(connection: DBusConnection, item: DBusAddress) -> str:
    _icon, _pixmaps, title, _text = item_property(connection, item, "ToolTip")
    return str(title)


# ---------------------------------------------------------------------- the screen
def screen(png: Path) -> Array:
    """A screenshot as an (height, width, 3) array of 0 to 255 floats."""
    size = subprocess.run(
        ["identify", "-format", "%w %h", str(png)], capture_output=True, text=True, check=True
    ).stdout.split()
    width, height = int(size[0]), int(size[1])
    raw = subprocess.run(
        ["convert", str(png), "-depth", "8", "rgb:-"], capture_output=True, check=True
    ).stdout
    return np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 3).astype(float)


@dataclass(frozen=True)
class Match:
    x: int
    y: int
    mean_error: float  # mean absolute difference per channel over the icon's opaque pixels


def find_icon(screenshot: Array, template: Array, rows: int) -> Match:
    """Where ``template`` (RGBA) sits in the top ``rows`` rows of the screen, best match first.

    Only the template's opaque pixels are compared: what shows through the transparent ones
    is the panel's business.
    """
    size = template.shape[0]
    opaque = template[..., 3] == 255
    wanted = template[..., :3].astype(float)[opaque]
    strip = screenshot[:rows]
    best = Match(-1, -1, float("inf"))
    for y in range(rows - size + 1):
        windows = np.lib.stride_tricks.sliding_window_view(
            strip[y : y + size], (size, size), axis=(0, 1)
        )
        # windows: (1, columns, 3, size, size) -> per column the opaque pixels' error
        candidates = windows[0].transpose(0, 2, 3, 1)[:, opaque]
        errors = np.abs(candidates - wanted).mean(axis=(1, 2))
        x = int(errors.argmin())
        if errors[x] < best.mean_error:
            best = Match(x, y, float(errors[x]))
    return best
