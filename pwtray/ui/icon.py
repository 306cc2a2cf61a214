"""The tray icon, drawn pixel by pixel for the sizes panels use.

A panel shows a tray icon at 16 to 24 px (Xfce: 22 px, whatever the panel's height), so the
icon is designed at those sizes instead of being scaled down from a large drawing:

- **The charge in digits** from a built-in pixel font whose strokes sit on whole pixels: 14 px
  tall at 22 px (10 at 16, 16 at 24); "100" uses condensed digits so it fits too.
- **A plate of its own**: a filled rounded rectangle with an outline of the opposite lightness
  (a near-black plate in a near-white rim), so the icon reads on a dark and on a light panel
  without knowing the panel's colour.
- **A gauge** under the digits: the charge as a bar, coloured by level.
- **States by shape and pattern, not only colour**, so they stay apart in greyscale: a grid
  outage *inverts* the plate (black digits on light red; restoring: on light blue), stale
  data dash the outline and grey the digits, and when the gateway cannot be read a symbol
  takes the digits' place: a cross (offline), a padlock (login needed), "!" (certificate
  changed), a pause sign (Powerwalls stopped), two dashes (no reading yet).
- From 32 px up (KDE's larger panels, the window, HiDPI) the plate becomes a battery with a
  terminal, the gauge gets a reserve tick and a triangle shows charging or discharging.

Every shape is a set of whole pixels on the icon's own grid; a larger device pixel ratio
repeats each pixel, so the 2x image of the 22 px icon is exactly that icon at twice the size.

Which pixmaps reach the panel matters as much as the drawing: Xfce's Status Tray takes the
*largest* StatusNotifierItem pixmap and scales it to its icon size, and Qt adds a 64 px one
when none between 23 and 64 px is given. :func:`icon` therefore offers 16, 22, 24 and 32 px
and, as the largest, the 22 px icon at 2x (44 px), which Xfce's 22 px tray halves exactly;
KDE and XEmbed trays pick the size they need from the same set.

The monochrome variant (macOS template images, where the menu bar tints the alpha) draws the
same shapes in black: the digits alone normally, digits cut out of a black plate in an outage.
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
# The tray icon's pixmaps as (size, scale); the largest is the 22 px icon at 2x (see above).
TRAY_PIXMAPS = ((16, 1), (22, 1), (24, 1), (32, 1), (22, 2))
SMALLEST_PX = 16
RICH_FROM_PX = 32

Pixels = set[tuple[int, int]]


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
    """What takes the digits' place when there is no charge to show."""

    OFFLINE = "offline"  # a cross
    LOGIN = "login"  # a padlock
    CERTIFICATE = "certificate"  # an exclamation mark
    STOPPED = "stopped"  # a pause sign
    NO_READING = "no reading"  # two dashes


_SYMBOLS = {
    Condition.OFFLINE: Symbol.OFFLINE,
    Condition.LOGIN: Symbol.LOGIN,
    Condition.CERTIFICATE: Symbol.CERTIFICATE,
    Condition.STOPPED: Symbol.STOPPED,
}


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
    def face(self) -> str | Symbol:
        """What the plate shows: the charge's digits, or the symbol that takes their place.

        Stale data keep their (greyed) digits; offline, login, certificate and stopped show a
        symbol, as the last charge read may be long gone (the tooltip still says it and when).
        """
        if self.condition in _SYMBOLS:
            return _SYMBOLS[self.condition]
        if self.soe_percent is None:
            return Symbol.NO_READING
        return str(max(0, min(100, round(self.soe_percent))))

    @property
    def inverted(self) -> bool:
        """The plate turns light during an outage (and while the grid comes back)."""
        return self.condition is Condition.LIVE and self.grid in (Grid.OUTAGE, Grid.RESTORING)


# ---------------------------------------------------------------------- colours (0xAARRGGBB)
TRANSPARENT = 0x00000000
BLACK = 0xFF000000
WHITE = 0xFFFFFFFF
PLATE = 0xFF1C1C1C  # near black
RIM = 0xFFE6E6E6  # near white: the dark plate stands out on a dark panel by its rim
RIM_GREY = 0xFF8C8C8C  # grid state unknown, offline
INK_GREY = 0xFFA0A0A0  # digits from before (stale), the offline cross
OUTAGE_PLATE = 0xFFFF5A46  # light red; black digits on it: contrast 6.8:1
RESTORING_PLATE = 0xFF9CCBFF  # lighter still (light blue): apart from the outage in grey too
GAUGE_EMPTY = 0xFF505050
GREEN, AMBER, RED = 0xFF2EB85C, 0xFFF0A500, 0xFFDC2D2D
CAUTION = 0xFFFFB000  # the symbols that ask for something (login, certificate, stopped)
TEMPLATE_FAINT = 0x59000000  # a template's "empty": 35 % of the menu bar's tint


def level_colour(soe: float) -> int:
    return GREEN if soe > 50 else AMBER if soe > 20 else RED


@dataclass(frozen=True)
class Look:
    """The colours and pattern of one state: what tells states apart."""

    plate: int
    rim: int
    ink: int  # digits and symbols
    gauge: int  # the gauge's filled part
    gauge_empty: int
    dashed_rim: bool = False
    flow_up: int = GREEN  # the charging triangle (32 px and up)
    flow_down: int = AMBER  # the discharging one


def look(state: IconState, *, monochrome: bool = False) -> Look:
    stale = state.condition is Condition.STALE
    if monochrome:  # the menu bar tints the alpha: black shapes, holes where the plate inverts
        if state.inverted and state.grid is Grid.OUTAGE:
            clear = TRANSPARENT
            return Look(BLACK, BLACK, clear, clear, TEMPLATE_FAINT, flow_up=clear, flow_down=clear)
        framed = stale or state.inverted  # restoring: digits in a frame, between up and outage
        rim = BLACK if framed else TRANSPARENT
        return Look(
            TRANSPARENT,
            rim,
            BLACK,
            BLACK,
            TEMPLATE_FAINT,
            dashed_rim=stale,
            flow_up=BLACK,
            flow_down=BLACK,
        )
    if state.inverted:
        plate = OUTAGE_PLATE if state.grid is Grid.OUTAGE else RESTORING_PLATE
        return Look(plate, BLACK, BLACK, BLACK, _shade(plate, 0.62), flow_up=BLACK, flow_down=BLACK)
    if stale:
        return Look(PLATE, RIM, INK_GREY, INK_GREY, GAUGE_EMPTY, dashed_rim=True)
    if state.condition is Condition.OFFLINE:
        return Look(PLATE, RIM_GREY, INK_GREY, INK_GREY, GAUGE_EMPTY)
    if state.condition is not Condition.LIVE:
        return Look(PLATE, RIM, CAUTION, INK_GREY, GAUGE_EMPTY)
    rim = RIM_GREY if state.grid is Grid.UNKNOWN else RIM
    soe = state.soe_percent
    return Look(PLATE, rim, WHITE, GAUGE_EMPTY if soe is None else level_colour(soe), GAUGE_EMPTY)


def _shade(colour: int, factor: float) -> int:
    r, g, b = (colour >> 16) & 255, (colour >> 8) & 255, colour & 255
    return 0xFF000000 | (int(r * factor) << 16) | (int(g * factor) << 8) | int(b * factor)


# ---------------------------------------------------------------------- geometry
@dataclass(frozen=True)
class Box:
    """A rectangle of whole pixels; ``x``, ``y`` is its top-left pixel."""

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

    def pixels(self) -> Pixels:
        return {(x, y) for y in range(self.y, self.bottom) for x in range(self.x, self.right)}


@dataclass(frozen=True)
class Cells:
    """Digit cells of one style: ``height`` rows, strokes ``stroke`` px thick."""

    height: int
    stroke: int
    width: int  # of every digit but "1"
    one: int  # of a "1"
    gap: int  # between digits


@dataclass(frozen=True)
class Layout:
    size: int
    plate: Box  # the rounded rectangle, outline included
    corner: int  # how many pixels the rounding cuts along each corner's diagonal
    digits: Box  # where the digits (or the symbol) go, centred
    wide: Cells  # one or two digits
    narrow: Cells  # three ("100")
    gauge: Box
    terminal: Box | None = None  # the battery's terminal (32 px and up)
    flow: Box | None = None  # where the flow triangle goes (32 px and up)


# The designed sizes. At 22 px, row by row: the rim, 2 free rows, 14 rows of digits, 1 free,
# the 2-row gauge, 1 free, the rim; across, two digits 8 + 2 + 8 px wide (4 px counters) and
# "100" 4 + 1 + 6 + 1 + 6 (2 px counters). Digits never touch the rim, so it stays unbroken.
_DESIGNED = {
    16: Layout(16, Box(0, 0, 16, 16), 1, Box(1, 2, 14, 10), Cells(10, 2, 5, 4, 2),
               Cells(10, 1, 4, 2, 1), Box(2, 13, 12, 1)),
    22: Layout(22, Box(0, 0, 22, 22), 2, Box(1, 3, 20, 14), Cells(14, 2, 8, 6, 2),
               Cells(14, 2, 6, 4, 1), Box(3, 18, 16, 2)),
    24: Layout(24, Box(0, 0, 24, 24), 2, Box(1, 3, 22, 16), Cells(16, 2, 9, 6, 2),
               Cells(16, 2, 7, 4, 1), Box(3, 20, 18, 2)),
}  # fmt: skip  # one size a line: the table reads as the design it is


def layout(size: int) -> Layout:
    """Where everything goes in a ``size`` px icon."""
    if size < SMALLEST_PX:
        raise ValueError(f"the tray icon is drawn from {SMALLEST_PX} px up, not at {size} px")
    if size in _DESIGNED:
        return _DESIGNED[size]
    if size < RICH_FROM_PX:  # between designed sizes: the next smaller design, centred
        return _DESIGNED[max(s for s in _DESIGNED if s <= size)]
    u = size / 32  # the rich design, drawn for 32 px and scaled in whole pixels
    terminal_w = max(2, round(3 * u))
    body = Box(0, 0, size - terminal_w, size)
    stroke = max(3, round(3 * u))
    height = round(18 * u)
    wide = Cells(height, stroke, round(11 * u), round(6 * u), max(2, round(2 * u)))
    narrow = Cells(height, stroke, round(8 * u), round(5 * u), max(1, round(1.5 * u)))
    top = round(5 * u)
    digits = Box(1, top, body.width - 2, height)
    inset = round(3 * u)
    gauge = Box(
        inset, top + height + max(2, round(2 * u)), body.width - 2 * inset, max(3, round(4 * u))
    )
    terminal_h = round(size * 0.36)
    terminal = Box(body.right, (size - terminal_h) // 2, terminal_w, terminal_h)
    flow = Box(inset, max(1, round(u)), round(7 * u), top - max(2, round(2 * u)))
    return Layout(size, body, max(2, inset), digits, wide, narrow, gauge, terminal, flow)


# ---------------------------------------------------------------------- the pixel font
def _bar(x0: int, y0: int, x1: int, y1: int) -> Pixels:
    """The pixels from column ``x0`` and row ``y0`` up to (not including) ``x1``, ``y1``."""
    return Box(x0, y0, x1 - x0, y1 - y0).pixels()


def _line(x0: int, y0: int, x1: int, y1: int, stroke: int) -> Pixels:
    """``stroke`` x ``stroke`` squares stepped from top-left corner (x0, y0) to (x1, y1)."""
    steps = max(abs(x1 - x0), abs(y1 - y0), 1)
    points: Pixels = set()
    for i in range(steps + 1):
        x = x0 + round((x1 - x0) * i / steps)
        y = y0 + round((y1 - y0) * i / steps)
        points |= _bar(x, y, x + stroke, y + stroke)
    return points


def glyph(char: str, width: int, height: int, stroke: int) -> Pixels:
    """The pixels of a digit (or "-") in a ``width`` x ``height`` cell.

    Straight strokes on whole pixels with the outer corners cut, so round digits look round;
    2, 4 and 7 have diagonals, 1 a flag and (where there is room) a foot, 8 a waist: the
    shapes by which people, and OCR, tell digits apart.
    """
    w, h, s = width, height, stroke
    r, b = w - s, h - s  # where the right and the bottom strokes start
    m = (h - s) // 2  # where the middle stroke starts
    top, bottom, middle = _bar(0, 0, w, s), _bar(0, b, w, h), _bar(0, m, w, m + s)
    left, left_up = _bar(0, 0, s, h), _bar(0, 0, s, m + s)
    right, right_down = _bar(r, 0, w, h), _bar(r, m, w, h)
    cut: tuple[tuple[int, int], ...] = ()
    tl, tr, bl, br = (0, 0), (w - 1, 0), (0, h - 1), (w - 1, h - 1)
    if char == "0":
        pixels, cut = top | bottom | left | right, (tl, tr, bl, br)
    elif char == "1":
        foot = w >= 2 * s + 2
        stem = (w - s + 1) // 2 if foot else w - s
        reach = min(stem, s)  # how far the flag reaches left of the stem
        pixels = _bar(stem, 0, stem + s, h) | _line(stem - reach, reach, stem - 1, 1, s)
        if foot:
            pixels |= bottom
    elif char == "2":
        pixels = top | _bar(r, 0, w, m + 1) | _line(r, m, 0, b, s) | bottom
        cut = (tl, tr)
    elif char == "3":
        pixels = top | right | _bar(max(s, w // 3), m, w, m + s) | bottom
        cut = (tr, br)
    elif char == "4":
        if h >= 12:  # closed: the stem, a diagonal from its top to the bar, the bar
            stem = r - 1 if w - s >= 5 else r
            bar_y = (h - s) * 3 // 5
            pixels = _bar(stem, 0, stem + s, h) | _line(stem, 0, 0, bar_y, s)
            pixels |= _bar(0, bar_y, w, bar_y + s)
        else:  # too small for a diagonal: open
            pixels = left_up | middle | right
    elif char == "5":
        pixels = top | left_up | _bar(0, m, r, m + s) | right_down | bottom
        pixels.add((r, m + 1) if s == 1 else (r, m))
        cut = (br,)
    elif char == "6":
        pixels = _bar(0, 0, w - 1, s) | left | middle | right_down | bottom
        cut = (tl, bl, br)
    elif char == "7":
        pixels = top | _bar(r, 0, w, s + 2) | _line(r, s, max(0, (w - s) // 3), b, s)
    elif char == "8":  # two bowls and a waist: never a 0 or a B
        pixels = top | bottom | left | right | middle
        if s > 1:
            pixels -= {(0, m), (w - 1, m), (0, m + s - 1), (w - 1, m + s - 1)}
        cut = (tl, tr, bl, br)
    elif char == "9":  # the bowl on top: its middle stroke rounds down, not up
        m9 = (h - s + 1) // 2
        pixels = top | _bar(0, 0, s, m9 + s) | _bar(0, m9, w, m9 + s) | right | bottom
        cut = (tl, tr, bl, br)
    elif char == "-":
        pixels = middle
    else:
        raise ValueError(f"the icon's font has no {char!r}")
    if s > 1:
        pixels -= set(cut)
    return pixels


def text_pixels(text: str, cells: Cells) -> tuple[Pixels, int]:
    """The pixels of ``text`` set from x = 0, and its width."""
    x, pixels = 0, set()
    for i, char in enumerate(text):
        width = cells.one if char == "1" else cells.width
        pixels |= {(x + px, py) for px, py in glyph(char, width, cells.height, cells.stroke)}
        x += width + (cells.gap if i < len(text) - 1 else 0)
    return pixels, x


def symbol_pixels(symbol: Symbol, area: Box, cells: Cells) -> Pixels:
    """``symbol`` as tall as the digits, centred in ``area``."""
    h, s = cells.height, cells.stroke
    side = min(h, area.width)
    shape: Pixels
    if symbol is Symbol.OFFLINE:  # a cross
        inset = max(1, side // 7)
        end = side - s - inset
        shape = _line(inset, inset, end, end, s) | _line(end, inset, inset, end, s)
    elif symbol is Symbol.LOGIN:  # a padlock: a shackle over a body with a keyhole
        body_top = h * 5 // 11
        lock_w = side - side % 2
        shackle_w = lock_w - 2 * max(1, lock_w // 6)
        sx = (lock_w - shackle_w) // 2
        shape = _bar(sx, 1, sx + s, body_top) | _bar(
            sx + shackle_w - s, 1, sx + shackle_w, body_top
        )
        shape |= _bar(sx + 1, 0, sx + shackle_w - 1, s) | _bar(0, body_top, lock_w, h)
        key_x = lock_w // 2 - max(1, s // 2)
        third = (h - body_top) // 3
        shape -= _bar(key_x, body_top + third, key_x + max(2, s), h - third)
    elif symbol is Symbol.CERTIFICATE:  # an exclamation mark
        bar_w = s + 1 if s < 3 else s + 2
        cx = (side - bar_w) // 2
        shape = _bar(cx, 0, cx + bar_w, h - bar_w - max(2, s)) | _bar(cx, h - bar_w, cx + bar_w, h)
    elif symbol is Symbol.STOPPED:  # a pause sign
        bar_w, gap = max(2, side // 4), max(2, side // 5)
        left = (side - 2 * bar_w - gap) // 2
        shape = _bar(left, 1, left + bar_w, h - 1)
        shape |= _bar(left + bar_w + gap, 1, left + 2 * bar_w + gap, h - 1)
    else:  # no reading yet: two dashes
        dash_w, gap = cells.width - 1, cells.gap + 1
        left = (side - 2 * dash_w - gap) // 2
        m = (h - s) // 2
        shape = _bar(left, m, left + dash_w, m + s)
        shape |= _bar(left + dash_w + gap, m, left + 2 * dash_w + gap, m + s)
    x0 = area.x + (area.width - side) // 2
    y0 = area.y + (area.height - h) // 2
    return {(x0 + x, y0 + y) for x, y in shape}


# ---------------------------------------------------------------------- drawing
class Canvas:
    """A ``size`` x ``size`` grid of ARGB pixels (0xAARRGGBB, not premultiplied)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.pixels = array.array("I", [TRANSPARENT]) * (size * size)

    def plot(self, points: Iterable[tuple[int, int]], colour: int) -> None:
        for x, y in points:
            if 0 <= x < self.size and 0 <= y < self.size:
                self.pixels[y * self.size + x] = colour

    def get(self, x: int, y: int) -> int:
        return self.pixels[y * self.size + x]

    def image(self, scale: float = 1.0) -> QImage:
        """The canvas as an image, each pixel repeated ``scale`` times (no smoothing)."""
        data = self.pixels.tobytes()  # native byte order, as Format_ARGB32 expects
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


def _rounded(box: Box, corner: int) -> Pixels:
    """A rectangle whose corners are cut along a diagonal ``corner`` px long."""
    return {
        (x, y)
        for x, y in box.pixels()
        if min(x - box.x, box.right - 1 - x) + min(y - box.y, box.bottom - 1 - y) >= corner
    }


def _edge(shape: Pixels) -> Pixels:
    """The pixels of ``shape`` with a side (not only a corner) on the outside."""
    sides = ((1, 0), (-1, 0), (0, 1), (0, -1))
    return {(x, y) for x, y in shape if any((x + dx, y + dy) not in shape for dx, dy in sides)}


def draw(state: IconState, size: int, *, monochrome: bool = False) -> Canvas:
    """The icon for ``state`` on a ``size`` px grid."""
    spec = layout(size)
    colours = look(state, monochrome=monochrome)
    parts: list[tuple[Pixels, int]] = []
    if spec.terminal is not None:  # like the plate: a fill inside the outline
        terminal = _rounded(spec.terminal, 1)
        parts += [(terminal, colours.rim), (terminal - _edge(terminal), colours.plate)]
        inner = Box(spec.terminal.x, spec.terminal.y + 1, 1, spec.terminal.height - 2)
        parts.append((inner.pixels(), colours.plate))  # open towards the body
    plate = _rounded(spec.plate, spec.corner)
    rim = _edge(plate)
    parts.append((plate - rim, colours.plate))
    if colours.dashed_rim:  # dashes two pixels long, two apart, all the way round
        gaps = {(x, y) for x, y in rim if (x + y) % 4 >= 2}
        # Grey gaps keep the plate's edge visible on a dark panel; a template leaves them out.
        parts += [(rim - gaps, colours.rim), (gaps, TRANSPARENT if monochrome else RIM_GREY)]
    else:
        parts.append((rim, colours.rim))
    parts += _gauge(state, spec, colours)
    face = state.face
    if isinstance(face, Symbol):
        parts.append((symbol_pixels(face, spec.digits, spec.wide), colours.ink))
    else:
        cells = spec.narrow if len(face) >= 3 else spec.wide
        pixels, width = text_pixels(face, cells)
        x0 = spec.digits.x + (spec.digits.width - width + 1) // 2
        y0 = spec.digits.y + (spec.digits.height - cells.height) // 2
        parts.append(({(x0 + x, y0 + y) for x, y in pixels}, colours.ink))
    if spec.flow is not None and state.condition is Condition.LIVE:
        parts += _flow(state.flow, spec.flow, colours)
    canvas = Canvas(size)
    offset = (size - spec.size) // 2  # a size drawn with a smaller design: centred
    for pixels, colour in parts:
        canvas.plot(((x + offset, y + offset) for x, y in pixels), colour)
    return canvas


def _gauge(state: IconState, spec: Layout, colours: Look) -> list[tuple[Pixels, int]]:
    gauge = spec.gauge
    parts = [(gauge.pixels(), colours.gauge_empty)]
    if state.soe_percent is None or isinstance(state.face, Symbol):
        return parts
    fraction = max(0.0, min(1.0, state.soe_percent / 100.0))
    filled = Box(gauge.x, gauge.y, math.ceil(gauge.width * fraction), gauge.height)
    parts.append((filled.pixels(), colours.gauge))
    reserve = state.reserve_percent
    if spec.size >= RICH_FROM_PX and reserve is not None and reserve > 0:
        x = gauge.x + min(gauge.width - 1, round(gauge.width * reserve / 100))
        tick = Box(x, gauge.y - 1, 1, gauge.height + 2)
        parts.append((tick.pixels(), colours.rim if colours.rim != TRANSPARENT else BLACK))
    return parts


def _flow(flow: Flow, area: Box, colours: Look) -> list[tuple[Pixels, int]]:
    """A triangle: pointing up while charging, down while discharging."""
    if flow is Flow.IDLE:
        return []
    rows = min(area.height, (area.width + 1) // 2)
    centre = area.x + area.width // 2
    triangle: Pixels = set()
    for i in range(rows):
        row = i if flow is Flow.CHARGING else rows - 1 - i
        triangle |= Box(centre - i, area.y + row, 2 * i + 1, 1).pixels()
    return [(triangle, colours.flow_up if flow is Flow.CHARGING else colours.flow_down)]


def paint(
    state: IconState,
    size: int,
    *,
    monochrome: bool = False,
    device_pixel_ratio: float = 1.0,
) -> QImage:
    """The icon for ``state`` as an image of ``size`` logical pixels."""
    image = draw(state, size, monochrome=monochrome).image(device_pixel_ratio)
    image.setDevicePixelRatio(device_pixel_ratio)
    return image


def icon(state: IconState, *, monochrome: bool = False) -> QIcon:
    """The tray icon: the pixmaps of :data:`TRAY_PIXMAPS`, the largest the 22 px one at 2x."""
    result = QIcon()
    for size, scale in TRAY_PIXMAPS:
        image = draw(state, size, monochrome=monochrome).image(scale)
        result.addPixmap(QPixmap.fromImage(image))
    return result
