"""The tray icon as the real panel shows it: what the app registered, where the panel drew it, and
what an OCR engine reads in the screenshot.

- :func:`tray_item` / :func:`icon_pixmaps` / :func:`tooltip_title` ask the StatusNotifierItem the
  app registered with the panel (over the desktop's own session bus, with jeepney);
- :func:`screen` reads a screenshot as an RGB array; :func:`find_icon` finds a registered pixmap
  in the panel strip by template matching (the panel may scale it: the match says how well);
- :func:`read_digits` crops nothing the test does not give it: it separates ink from plate by
  lightness (Otsu), drops marks much shorter than the tallest (the gauge, the plate's corners),
  enlarges by a whole factor without smoothing and runs ``tesseract`` for digits only.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.desktop.realdesktop import RealDesktop

WATCHER = DBusAddress(
    "/StatusNotifierWatcher",
    bus_name="org.kde.StatusNotifierWatcher",
    interface="org.freedesktop.DBus.Properties",
)
# Tesseract reads best when the digits are about 30 px tall; the icon's are 10 to 16.
OCR_DIGIT_HEIGHT_PX = 30
TESSERACT = ["tesseract", "-", "-", "--psm", "6", "-c", "tessedit_char_whitelist=0123456789"]

Array = np.ndarray[Any, Any]


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


# ---------------------------------------------------------------------- reading it
def require_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("reading the panel needs tesseract: run 'sudo scripts/install-system-packages'")


def luminance(rgb: Array) -> Array:
    return rgb @ np.array([0.299, 0.587, 0.114])


def otsu_threshold(values: Array) -> float:
    """The lightness that best splits ``values`` in two classes (Otsu's method)."""
    histogram = np.bincount(np.clip(values, 0, 255).astype(int).ravel(), minlength=256)
    levels = np.arange(256)
    below = np.cumsum(histogram)
    below_sum = np.cumsum(histogram * levels)
    total, total_sum = below[-1], below_sum[-1]
    above = total - below
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_below = below_sum / below
        mean_above = (total_sum - below_sum) / above
        spread = below * above * (mean_below - mean_above) ** 2
    return float(np.nanargmax(np.where((below > 0) & (above > 0), spread, np.nan)))


def _components(mask: Array) -> list[list[tuple[int, int]]]:
    """The 8-connected groups of True pixels."""
    seen = np.zeros_like(mask, dtype=bool)
    groups = []
    height, width = mask.shape
    for y0, x0 in zip(*np.nonzero(mask), strict=True):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, group = [(int(y0), int(x0))], []
        while stack:
            y, x = stack.pop()
            group.append((y, x))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = y + dy, x + dx
                    if 0 <= ny < height and 0 <= nx < width and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        groups.append(group)
    return groups


def ink(icon: Array) -> Array:
    """The digits' pixels: the minority side of the plate's lightness split, minus short marks.

    The outermost pixel ring (the plate's outline) is left out; marks less than 60 % as tall as
    the tallest (the gauge under the digits, the plate's rounded corners) are dropped.
    """
    inner = luminance(icon)[1:-1, 1:-1]
    dark = inner <= otsu_threshold(inner)
    marks = dark if dark.sum() < (~dark).sum() else ~dark
    groups = _components(marks)
    if not groups:
        return np.zeros_like(marks)
    heights = [max(y for y, _ in g) - min(y for y, _ in g) + 1 for g in groups]
    kept = np.zeros_like(marks)
    for group, height in zip(groups, heights, strict=True):
        if height >= 0.6 * max(heights):
            for y, x in group:
                kept[y, x] = True
    return kept


def digit_height(icon: Array) -> int:
    """The height in pixels of the tallest mark :func:`ink` keeps."""
    rows = np.nonzero(ink(icon).any(axis=1))[0]
    return int(rows.max() - rows.min() + 1) if rows.size else 0


def read_digits(icon: Array) -> str:
    """What tesseract reads in ``icon`` (RGB), digits only."""
    marks = ink(icon)
    height = digit_height(icon)
    if height == 0:
        return ""
    scale = max(1, round(OCR_DIGIT_HEIGHT_PX / height))
    page = np.where(marks, 0, 255).astype(np.uint8)
    page = np.pad(page, 4, constant_values=255)
    page = np.kron(page, np.ones((scale, scale), dtype=np.uint8))  # whole pixels, no smoothing
    header = f"P5 {page.shape[1]} {page.shape[0]} 255\n".encode()
    result = subprocess.run(
        TESSERACT, input=header + page.tobytes(), capture_output=True, timeout=30, check=True
    )
    return result.stdout.decode().strip()
