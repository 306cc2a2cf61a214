"""The tray icon, drawn pixel by pixel for the sizes panels use.

What a panel shows is 16 to 24 px (Xfce: 22), so the icon is designed for those sizes and not
scaled down from a large drawing:

- **The charge in digits** from a built-in pixel font whose strokes sit on whole pixels (14 px
  tall at 22 px; "100" uses condensed digits so it fits too).
- **A plate of its own**: a filled rounded rectangle with an outline of the opposite lightness,
  so the icon reads on a dark and on a light panel without knowing the panel's colour.
- **A gauge** under the digits: the charge as a bar, coloured by level.
- **States by shape and pattern, not only colour** (they stay apart in greyscale): a grid
  outage *inverts* the plate (dark digits on a light red plate; restoring: light blue), stale
  data dash the outline and grey the digits, and when the gateway cannot be read the digits give
  way to a symbol — offline a cross, login needed a padlock, certificate changed "!", Powerwalls
  stopped a pause sign.
- From 32 px up (the window, HiDPI) the plate becomes a battery with a terminal, the gauge gets
  a reserve tick and a flow arrow shows charging or discharging.

Every shape is a set of whole pixels on the icon's own grid; larger device pixel ratios repeat
each pixel, so the 2x image of the 22 px icon is exactly the 22 px icon at twice the size.

Which pixmaps go to the panel matters as much as the drawing: Xfce's Status Tray takes the
*largest* StatusNotifierItem pixmap and scales it to its icon size (22 px by default), and Qt
adds a 64 px one when none between 23 and 64 px is given. :func:`icon` therefore offers 16, 22,
24 and 32 px and, as the largest, the 22 px icon at 2x (44 px), which a 22 px panel halves
exactly; KDE and XEmbed trays pick the size they need from the same set.

A monochrome variant (macOS template images, where the menu bar tints the alpha) draws the same
shapes in black: digits alone normally, digits cut out of a black plate during an outage.
"""

from __future__ import annotations

import array
import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QIcon, QImage, QPixmap

SIZES = (16, 22, 24, 32, 48, 64)
# The pixmaps the tray icon offers, as (size, scale): the largest is 22 px at 2x (see above).
TRAY_PIXMAPS = ((16, 1), (22, 1), (24, 1), (32, 1), (22, 2))
RICH_FROM_PX = 32


class Flow(enum.Enum):
    IDLE = "idle"
    CHARGING = "charging"
    DISCHARGING = "discharging"


class Grid(enum.Enum):
    UP = "up"
    OUTAGE = "outage"
    RESTORING = "restoring"
    UNKNOWN = "unknown"


class Condition(enum.Enum):
    LIVE = "live"
    STALE = "stale"
    OFFLINE = "offline"
    LOGIN = "login"
    CERTIFICATE = "certificate"
    STOPPED = "stopped"


class Symbol(enum.Enum):
    """What stands in for the digits when the gateway cannot be read."""

    OFFLINE = "offline"  # a cross
    LOGIN = "login"  # a padlock
    CERTIFICATE = "certificate"  # !
    STOPPED = "stopped"  # ‖
    NO_VALUE = "no value"  # --


@dataclass(frozen=True)
class IconState:
    soe_percent: float | None = None
    flow: Flow = Flow.IDLE
    grid: Grid = Grid.UNKNOWN
    reserve_percent: float | None = None
    condition: Condition = Condition.LIVE

    @property
    def rounded(self) -> IconState:
        """What the icon can show: a whole percent. Equal states paint equal icons."""
        soe = None if self.soe_percent is None else float(round(self.soe_percent))
        reserve = None if self.reserve_percent is None else float(round(self.reserve_percent))
        return IconState(soe, self.flow, self.grid, reserve, self.condition)

    @property
    def text(self) -> str | None:
        """The digits the icon shows, or ``None`` when a symbol stands in for them."""
        if self.symbol is not None:
            return None
        assert self.soe_percent is not None
        return str(max(0, min(100, round(self.soe_percent))))

    @property
    def symbol(self) -> Symbol | None:
        symbols = {
            Condition.OFFLINE: Symbol.OFFLINE,
            Condition.LOGIN: Symbol.LOGIN,
            Condition.CERTIFICATE: Symbol.CERTIFICATE,
            Condition.STOPPED: Symbol.STOPPED,
        }
        if self.condition in symbols:
            return symbols[self.condition]
        return Symbol.NO_VALUE if self.soe_percent is None else None


# ---------------------------------------------------------------------- colours (0xAARRGGBB)
TRANSPARENT = 0x00000000
BLACK = 0xFF000000
WHITE = 0xFFFFFFFF
PLATE = 0xFF1C1C1C  # the normal plate: near black
RIM_LIGHT = 0xFFE6E6E6  # its outline: near white, so the plate stands out on a dark panel
RIM_GREY = 0xFF8C8C8C  # grid state unknown
INK_GREY = 0xFFA0A0A0  # digits from before (stale) and the offline cross
OUTAGE_PLATE = 0xFFFF5A46  # light red: the plate inverts during an outage
RESTORING_PLATE = 0xFF64AAFF  # light blue: the grid is coming back
GAUGE_EMPTY = 0xFF505050
GREEN, AMBER, RED = 0xFF2EB85C, 0xFFF0A500, 0xFFDC2D2D
CAUTION = 0xFFFFB000  # the symbols that ask the user to act (login, certificate, stopped)


def level_colour(soe: float) -> int:
    return GREEN if soe > 50 else AMBER if soe > 20 else RED


@dataclass(frozen=True)
class Look:
    """The colours and patterns of one state: what tells states apart."""

    plate: int
    rim: int
    ink: int  # digits and symbols
    gauge: int  # the filled part of the gauge
    gauge_empty: int
    dashed_rim: bool = False


def look(state: IconState, *, monochrome: bool = False) -> Look:
    live = state.condition is Condition.LIVE
    inverted = live and state.grid in (Grid.OUTAGE, Grid.RESTORING)
    if monochrome:  # the menu bar tints the alpha: black shapes, holes where the plate inverts
        if inverted:
            return Look(BLACK, BLACK, TRANSPARENT, TRANSPARENT, 0x59000000)
        return Look(
            TRANSPARENT,
            TRANSPARENT,
            BLACK,
            BLACK,
            0x59000000,
            dashed_rim=state.condition is Condition.STALE,
        )
    soe = state.soe_percent
    if inverted:
        plate = OUTAGE_PLATE if state.grid is Grid.OUTAGE else RESTORING_PLATE
        return Look(plate, BLACK, BLACK, BLACK, _shade(plate, 0.62))
    if state.condition is Condition.STALE:
        return Look(PLATE, RIM_LIGHT, INK_GREY, INK_GREY, GAUGE_EMPTY, dashed_rim=True)
    if state.condition is Condition.OFFLINE:
        return Look(PLATE, RIM_GREY, INK_GREY, INK_GREY, GAUGE_EMPTY)
    if not live:
        return Look(PLATE, RIM_LIGHT, CAUTION, INK_GREY, GAUGE_EMPTY)
    rim = RIM_GREY if state.grid is Grid.UNKNOWN else RIM_LIGHT
    gauge = level_colour(soe) if soe is not None else GAUGE_EMPTY
    return Look(PLATE, rim, WHITE, gauge, GAUGE_EMPTY)


def _shade(colour: int, factor: float) -> int:
    r, g, b = (colour >> 16) & 255, (colour >> 8) & 255, colour & 255
    return 0xFF000000 | (int(r * factor) << 16) | (int(g * factor) << 8) | int(b * factor)


# ---------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Box:
    """A rectangle of whole pixels: ``x``, ``y`` its top-left corner."""

    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:  # one past the last column
        return self.x + self.width

    @property
    def bottom(self) -> int:  # one past the last row
        return self.y + self.height


@dataclass(frozen=True)
class Font:
    """Digit cells: ``height`` rows, ``stroke`` px thick; ``narrow`` cells for three digits."""

    height: int
    stroke: int
    width: int
    one: int  # the width of a "1"
    narrow_stroke: int
    narrow_width: int
    narrow_one: int
    gap: int
    narrow_gap: int


@dataclass(frozen=True)
class Layout:
    size: int
    plate: Box  # the rounded rectangle, outline included
    corner: int  # corner rounding, in pixels cut from each corner's diagonal
    digits: Box  # where the digits (or the symbol) go
    font: Font
    gauge: Box
    terminal: Box | None = None  # the battery's terminal (32 px and up)
    flow: Box | None = None  # where the flow arrow goes (32 px and up)


_SMALL = {
    16: Layout(
        16,
        Box(0, 0, 16, 16),
        1,
        Box(1, 2, 14, 10),
        Font(10, 2, 6, 4, 1, 4, 3, 1, 1),
        Box(2, 13, 12, 1),
    ),
    22: Layout(
        22,
        Box(0, 0, 22, 22),
        2,
        Box(1, 3, 20, 14),
        Font(14, 2, 8, 6, 2, 6, 4, 2, 1),
        Box(3, 18, 16, 2),
    ),
    24: Layout(
        24,
        Box(0, 0, 24, 24),
        2,
        Box(1, 3, 22, 16),
        Font(16, 2, 9, 6, 2, 7, 4, 2, 1),
        Box(3, 20, 18, 2),
    ),
}


def layout(size: int) -> Layout:
    """Where everything goes in a ``size`` px icon."""
    if size in _SMALL:
        return _SMALL[size]
    if size < RICH_FROM_PX:  # between the designed sizes: the nearest smaller design, centred
        base = max(s for s in _SMALL if s <= size) if size >= 16 else 16
        return _SMALL[base]
    u = size / 32
    terminal_w = max(2, round(3 * u))
    body = Box(0, 0, size - terminal_w, size)
    stroke = max(3, round(3 * u))
    font = Font(
        height=round(18 * u),
        stroke=stroke,
        width=round(11 * u),
        one=round(6 * u),
        narrow_stroke=stroke,
        narrow_width=round(8 * u),
        narrow_one=round(5 * u),
        gap=max(2, round(2 * u)),
        narrow_gap=max(1, round(1.5 * u)),
    )
    top = round(5 * u)
    digits = Box(1, top, body.width - 2, font.height)
    gauge_y = top + font.height + max(2, round(2 * u))
    gauge = Box(round(3 * u), gauge_y, body.width - 2 * round(3 * u), max(3, round(4 * u)))
    terminal_h = round(size * 0.36)
    terminal = Box(body.right, (size - terminal_h) // 2, terminal_w, terminal_h)
    flow = Box(round(3 * u), max(1, round(1 * u)), round(7 * u), top - max(2, round(2 * u)))
    return Layout(size, body, max(2, round(3 * u)), digits, font, gauge, terminal, flow)


# ---------------------------------------------------------------------- the pixel canvas
class Canvas:
    """A ``size`` x ``size`` grid of ARGB pixels."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pixels = array.array("I", [TRANSPARENT]) * (size * size)

    def set(self, x: int, y: int, colour: int) -> None:
        if 0 <= x < self.size and 0 <= y < self.size:
            self.pixels[y * self.size + x] = colour

    def get(self, x: int, y: int) -> int:
        return self.pixels[y * self.size + x]

    def fill(self, box: Box, colour: int) -> None:
        for y in range(box.y, box.bottom):
            for x in range(box.x, box.right):
                self.set(x, y, colour)

    def plot(self, points: Iterable[tuple[int, int]], colour: int) -> None:
        for x, y in points:
            self.set(x, y, colour)

    def image(self, scale: float = 1.0) -> QImage:
        """The canvas as an image, each pixel repeated ``scale`` times (no smoothing)."""
        data = self.pixels.tobytes()
        image = QImage(data, self.size, self.size, self.size * 4, QImage.Format.Format_ARGB32)
        image = image.copy()  # own the pixels: ``data`` goes away with this frame
        side = round(self.size * scale)
        if side != self.size:
            image = image.scaled(
                side,
                side,
                Qt.AspectRatioMode.IgnoreAspectRatio,
                Qt.TransformationMode.FastTransformation,
            )
        return image.convertToFormat(QImage.Format.Format_ARGB32_Premultiplied)


def _rounded(box: Box, corner: int) -> set[tuple[int, int]]:
    """The pixels of a rectangle whose corners are cut along a diagonal of ``corner`` px."""
    inside = set()
    for y in range(box.y, box.bottom):
        for x in range(box.x, box.right):
            dx = min(x - box.x, box.right - 1 - x)
            dy = min(y - box.y, box.bottom - 1 - y)
            if dx + dy >= corner:
                inside.add((x, y))
    return inside


def _edge(shape: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The pixels of ``shape`` with a side (not only a corner) on the outside."""
    return {
        (x, y)
        for x, y in shape
        if any((x + dx, y + dy) not in shape for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)))
    }


# ---------------------------------------------------------------------- the digits
def _bar(x0: int, y0: int, x1: int, y1: int) -> set[tuple[int, int]]:
    return {(x, y) for y in range(y0, y1) for x in range(x0, x1)}


def _line(x0: int, y0: int, x1: int, y1: int, stroke: int) -> set[tuple[int, int]]:
    """A line of ``stroke`` x ``stroke`` squares from one top-left corner to another."""
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    points: set[tuple[int, int]] = set()
    for i in range(steps + 1):
        x = x0 + round((x1 - x0) * i / steps)
        y = y0 + round((y1 - y0) * i / steps)
        points |= _bar(x, y, x + stroke, y + stroke)
    return points


def glyph(char: str, width: int, height: int, stroke: int) -> set[tuple[int, int]]:
    """The pixels of one digit (or "-") in a ``width`` x ``height`` cell.

    Straight strokes on whole pixels, with the outer corners cut so round digits look round;
    7 and 2 have diagonals and 1 a flag and a foot, the shapes OCR and people tell apart.
    """
    w, h, s = width, height, stroke
    r, b = w - s, h - s  # where the right and bottom strokes start
    m = (h - s) // 2  # where the middle stroke starts
    top, bottom, middle = _bar(0, 0, w, s), _bar(0, b, w, h), _bar(0, m, w, m + s)
    left_up, left_down, left = _bar(0, 0, s, m + s), _bar(0, m, s, h), _bar(0, 0, s, h)
    right_up, right_down, right = _bar(r, 0, w, m + s), _bar(r, m, w, h), _bar(r, 0, w, h)
    corners = {"tl": (0, 0), "tr": (w - 1, 0), "bl": (0, h - 1), "br": (w - 1, h - 1)}
    pixels: set[tuple[int, int]]
    cut: tuple[str, ...] = ()
    if char == "0":
        pixels, cut = top | bottom | left | right, ("tl", "tr", "bl", "br")
    elif char == "1":  # a stem with a flag, and a foot where there is room
        foot = w >= 2 * s + 2
        stem = (w - s + 1) // 2 if foot else w - s
        reach = min(stem, s)  # how far the flag reaches left
        pixels = _bar(stem, 0, stem + s, h) | _line(stem - reach, reach, stem - 1, 1, s)
        if foot:
            pixels |= _bar(0, b, w, h)
    elif char == "2":
        pixels = top | _bar(r, 0, w, m + 1) | _line(r, m, 0, b, s) | bottom
        cut = ("tl", "tr")
    elif char == "3":
        pixels = top | right | _bar(max(s, w // 3), m, w, m + s) | bottom
        cut = ("tr", "br")
    elif char == "4":  # a closed 4: the stem, a diagonal to the bar, the bar
        stem = r - 1 if w - s >= 5 else r
        bar_y = (h - s) * 3 // 5
        if h >= 12:
            pixels = _bar(stem, 0, stem + s, h) | _line(stem, 0, 0, bar_y, s)
            pixels |= _bar(0, bar_y, w, bar_y + s)
        else:  # too small for a diagonal: an open 4
            pixels = left_up | middle | _bar(r, 0, w, h)
    elif char == "5":
        pixels = top | left_up | _bar(0, m, r, m + s) | right_down | bottom
        pixels.add((r, m + 1) if s == 1 else (r, m))
        cut = ("br",)
    elif char == "6":
        pixels = _bar(0, 0, w - 1, s) | left | middle | right_down | bottom
        cut = ("tl", "bl", "br")
    elif char == "7":
        pixels = top | _bar(r, 0, w, s + 2) | _line(r, s, max(0, (w - s) // 3), b, s)
    elif char == "8":  # two bowls with a waist, never read as 0 or B
        pixels = top | bottom | left | right | middle
        if s > 1:
            pixels -= {(0, m), (w - 1, m), (0, m + s - 1), (w - 1, m + s - 1)}
        cut = ("tl", "tr", "bl", "br")
    elif char == "9":  # the bowl on top: its middle stroke rounds down
        m9 = (h - s + 1) // 2
        pixels = top | _bar(0, 0, s, m9 + s) | _bar(0, m9, w, m9 + s) | right | bottom
        cut = ("tl", "tr", "bl", "br")
    elif char == "-":
        pixels = _bar(0, m, w, m + s)
    else:
        raise ValueError(f"no glyph for {char!r}")
    if s > 1:
        for name in cut:
            pixels.discard(corners[name])
    return pixels


def _text_pixels(text: str, font: Font) -> tuple[set[tuple[int, int]], int]:
    """The pixels of ``text`` set from x = 0, and its width."""
    narrow = len(text) >= 3
    stroke = font.narrow_stroke if narrow else font.stroke
    x, pixels = 0, set()
    for i, char in enumerate(text):
        if char == "1":
            width = font.narrow_one if narrow else font.one
        else:
            width = font.narrow_width if narrow else font.width
        pixels |= {(x + px, py) for px, py in glyph(char, width, font.height, stroke)}
        x += width + ((font.narrow_gap if narrow else font.gap) if i < len(text) - 1 else 0)
    return pixels, x


def _symbol_pixels(symbol: Symbol, area: Box, font: Font) -> set[tuple[int, int]]:
    """A symbol as tall as the digits, centred in ``area``."""
    h, s = font.height, font.stroke
    side = min(h, area.width)
    x0 = area.x + (area.width - side) // 2
    y0 = area.y + (area.height - h) // 2
    shape: set[tuple[int, int]]
    if symbol is Symbol.OFFLINE:  # a cross
        inset = max(1, side // 7)
        end = side - s - inset
        shape = _line(inset, inset, end, end, s) | _line(end, inset, inset, end, s)
    elif symbol is Symbol.LOGIN:  # a padlock: a shackle over a body with a keyhole
        body_top = h * 5 // 11
        half = side // 2
        lock_w = min(side, 2 * half)
        shackle_w = lock_w - 2 * max(1, lock_w // 6)
        sx = (lock_w - shackle_w) // 2
        shape = _bar(sx, 1, sx + s, body_top) | _bar(
            sx + shackle_w - s, 1, sx + shackle_w, body_top
        )
        shape |= _bar(sx + 1, 0, sx + shackle_w - 1, s)
        shape |= _bar(0, body_top, lock_w, h)
        key_x = lock_w // 2 - max(1, s // 2)
        keyhole = _bar(
            key_x, body_top + (h - body_top) // 3, key_x + max(2, s), h - (h - body_top) // 3
        )
        shape -= keyhole
        x0 = area.x + (area.width - lock_w) // 2
    elif symbol is Symbol.CERTIFICATE:  # an exclamation mark
        bar_w = s + 1 if s < 3 else s + 2
        cx = (side - bar_w) // 2
        shape = _bar(cx, 0, cx + bar_w, h - bar_w - max(2, s)) | _bar(cx, h - bar_w, cx + bar_w, h)
    elif symbol is Symbol.STOPPED:  # a pause sign
        bar_w = max(2, side // 4)
        gap = max(2, side // 5)
        left = (side - 2 * bar_w - gap) // 2
        shape = _bar(left, 1, left + bar_w, h - 1)
        shape |= _bar(left + bar_w + gap, 1, left + 2 * bar_w + gap, h - 1)
    else:  # no value yet: two dashes
        dash_w = font.width - 1
        gap = font.gap + 1
        total = 2 * dash_w + gap
        left = (side - total) // 2
        m = (h - s) // 2
        shape = _bar(left, m, left + dash_w, m + s) | _bar(
            left + dash_w + gap, m, left + total, m + s
        )
    return {(x0 + x, y0 + y) for x, y in shape}


# ---------------------------------------------------------------------- drawing
def draw(state: IconState, size: int, *, monochrome: bool = False) -> Canvas:
    """The icon for ``state`` on a ``size`` px grid."""
    spec = layout(size)
    canvas = Canvas(size)
    offset = (size - spec.size) // 2  # sizes without a design of their own: centred
    colours = look(state, monochrome=monochrome)
    shape = _rounded(spec.plate, spec.corner)
    rim = _edge(shape)
    if spec.terminal is not None:  # drawn like the plate: a fill inside the outline
        terminal = _rounded(spec.terminal, 1)
        canvas.plot(_shift(terminal, offset), colours.rim if not monochrome else BLACK)
        inner = Box(
            spec.terminal.x, spec.terminal.y + 1, spec.terminal.width - 1, spec.terminal.height - 2
        )
        canvas.fill(
            Box(inner.x + offset, inner.y + offset, inner.width, inner.height),
            colours.plate if not monochrome else BLACK,
        )
    canvas.plot(_shift(shape - rim, offset), colours.plate)
    if colours.dashed_rim:
        rim_colour = colours.rim if not monochrome else BLACK
        gaps = {(x, y) for x, y in rim if (x + y) % 4 >= 2}
        canvas.plot(_shift(rim - gaps, offset), rim_colour)
        canvas.plot(_shift(gaps, offset), TRANSPARENT if monochrome else colours.plate)
    else:
        canvas.plot(_shift(rim, offset), colours.rim)
    _draw_gauge(canvas, state, spec, colours, offset)
    if state.text is not None:
        pixels, width = _text_pixels(state.text, spec.font)
        area = spec.digits
        x0 = area.x + (area.width - width + 1) // 2
        y0 = area.y + (area.height - spec.font.height) // 2
        canvas.plot(_shift({(x0 + x, y0 + y) for x, y in pixels}, offset), colours.ink)
    else:
        assert state.symbol is not None
        symbol = _symbol_pixels(state.symbol, spec.digits, spec.font)
        canvas.plot(_shift(symbol, offset), colours.ink)
    if spec.flow is not None and state.condition is Condition.LIVE:
        _draw_flow(canvas, state.flow, spec.flow, colours, monochrome)
    return canvas


def _shift(points: Iterable[tuple[int, int]], offset: int) -> set[tuple[int, int]]:
    return {(x + offset, y + offset) for x, y in points}


def _draw_gauge(canvas: Canvas, state: IconState, spec: Layout, colours: Look, offset: int) -> None:
    gauge = spec.gauge
    shifted = Box(gauge.x + offset, gauge.y + offset, gauge.width, gauge.height)
    canvas.fill(shifted, colours.gauge_empty)
    if state.soe_percent is None or state.symbol not in (None, Symbol.NO_VALUE):
        return
    fraction = max(0.0, min(1.0, state.soe_percent / 100.0))
    filled = math.ceil(gauge.width * fraction) if fraction > 0 else 0
    canvas.fill(Box(shifted.x, shifted.y, filled, gauge.height), colours.gauge)
    if spec.size >= RICH_FROM_PX and state.reserve_percent and state.reserve_percent > 0:
        x = shifted.x + min(gauge.width - 1, round(gauge.width * state.reserve_percent / 100))
        tick = colours.rim if colours.rim != TRANSPARENT else BLACK
        canvas.fill(Box(x, shifted.y - 1, 1, gauge.height + 2), tick)


def _draw_flow(canvas: Canvas, flow: Flow, area: Box, colours: Look, monochrome: bool) -> None:
    """A small triangle: pointing up while charging, down while discharging."""
    if flow is Flow.IDLE:
        return
    colour = colours.ink if monochrome else (GREEN if flow is Flow.CHARGING else AMBER)
    if colours.plate in (OUTAGE_PLATE, RESTORING_PLATE):
        colour = BLACK
    rows = min(area.height, (area.width + 1) // 2)
    for i in range(rows):
        row = i if flow is Flow.CHARGING else rows - 1 - i
        half = i
        cx = area.x + area.width // 2
        canvas.fill(Box(cx - half, area.y + row, 2 * half + 1, 1), colour)


def paint(
    state: IconState,
    size: int,
    *,
    monochrome: bool = False,
    device_pixel_ratio: float = 1.0,
) -> QImage:
    """The icon for ``state`` as an ARGB image of ``size`` logical pixels."""
    image = draw(state, size, monochrome=monochrome).image(device_pixel_ratio)
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def icon(state: IconState, *, monochrome: bool = False) -> QIcon:
    """The tray icon: the pixmaps of :data:`TRAY_PIXMAPS`, the largest being 22 px at 2x."""
    result = QIcon()
    for size, scale in TRAY_PIXMAPS:
        image = draw(state, size, monochrome=monochrome).image(scale)
        result.addPixmap(QPixmap.fromImage(image))
    return result
