"""The tray icon, painted at run time for any size.

Layout (square, side s): the top band holds the charge/discharge glyph (left) and the grid badge
(right); the bottom band holds a horizontal battery whose fill follows the charge, with a tick at
the backup reserve and, from 32 px up, the percentage in digits. The grid badge differs in
**shape**, not only colour: a filled disc (grid up), a warning triangle (outage), a broken ring
(reconnecting). Stale, offline, stopped, login-needed and certificate-changed states grey the
battery and carry their own badge. A monochrome variant (macOS template images) draws
everything in black.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QIcon,
    QImage,
    QPainter,
    QPainterPath,
    QPen,
    QPixmap,
    QPolygonF,
)

SIZES = (16, 22, 24, 32, 48, 64)
DIGITS_FROM_PX = 32


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


@dataclass(frozen=True)
class Palette:
    outline: QColor
    dim: QColor
    halo: QColor  # a contrasting rim: the panel may be dark under a light theme (GNOME)

    @classmethod
    def for_panel(cls, *, dark: bool, monochrome: bool = False) -> Palette:
        if monochrome:
            return cls(QColor(0, 0, 0), QColor(0, 0, 0, 110), QColor(0, 0, 0, 0))
        if dark:
            return cls(QColor(240, 240, 240), QColor(150, 150, 150), QColor(0, 0, 0, 150))
        return cls(QColor(30, 30, 30), QColor(120, 120, 120), QColor(255, 255, 255, 190))


GREEN, AMBER, RED, BLUE = (
    QColor(46, 184, 92),
    QColor(240, 165, 0),
    QColor(220, 45, 45),
    QColor(40, 140, 230),
)


def level_colour(soe: float) -> QColor:
    return GREEN if soe > 50 else AMBER if soe > 20 else RED


def battery_rect(size: int) -> QRectF:
    s = float(size)
    top = s * 0.42
    return QRectF(s * 0.04, top, s * 0.84, s * 0.54)


def badge_rect(size: int) -> QRectF:
    s = float(size)
    return QRectF(s * 0.56, 0.0, s * 0.42, s * 0.40)


def glyph_rect(size: int) -> QRectF:
    s = float(size)
    return QRectF(s * 0.04, 0.0, s * 0.42, s * 0.40)


def paint(
    state: IconState,
    size: int,
    *,
    dark_panel: bool = False,
    monochrome: bool = False,
    device_pixel_ratio: float = 1.0,
    show_digits: bool | None = None,
) -> QImage:
    """The icon for ``state`` as an ARGB image of ``size`` logical pixels."""
    pixels = round(size * device_pixel_ratio)
    image = QImage(pixels, pixels, QImage.Format.Format_ARGB32_Premultiplied)
    image.setDevicePixelRatio(device_pixel_ratio)
    image.fill(Qt.GlobalColor.transparent)
    palette = Palette.for_panel(dark=dark_panel, monochrome=monochrome)
    painter = QPainter(image)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        _battery(painter, state, size, palette, monochrome, show_digits)
        _glyph(painter, state, size, palette, monochrome)
        _badge(painter, state, size, palette, monochrome)
    finally:
        painter.end()
    return image


def icon(state: IconState, *, dark_panel: bool = False, monochrome: bool = False) -> QIcon:
    """A QIcon with every tray size at 1x and 2x."""
    result = QIcon()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            image = paint(state, size, dark_panel=dark_panel, monochrome=monochrome,
                          device_pixel_ratio=ratio)  # fmt: skip
            result.addPixmap(QPixmap.fromImage(image))
    return result


# ---------------------------------------------------------------------- parts
def _battery(
    p: QPainter,
    state: IconState,
    size: int,
    palette: Palette,
    monochrome: bool,
    show_digits: bool | None,
) -> None:
    body = battery_rect(size)
    stroke = max(1.0, size / 16)
    live = state.condition is Condition.LIVE
    outline = palette.outline if live else palette.dim
    nub = QRectF(body.right() + stroke * 0.3, body.top() + body.height() * 0.3,
                 max(1.5, size * 0.07), body.height() * 0.4)  # fmt: skip
    p.setPen(QPen(palette.halo, stroke * 1.2))
    p.setBrush(outline)
    p.drawRect(nub)
    p.setPen(Qt.PenStyle.NoPen)
    inner = body.adjusted(stroke * 1.5, stroke * 1.5, -stroke * 1.5, -stroke * 1.5)
    if state.soe_percent is not None:
        fraction = max(0.0, min(1.0, state.soe_percent / 100.0))
        fill = QRectF(inner.left(), inner.top(), inner.width() * fraction, inner.height())
        colour = QColor(0, 0, 0) if monochrome else level_colour(state.soe_percent)
        if not live:
            colour = palette.dim
        p.setBrush(colour)
        p.drawRect(fill)
    p.setBrush(Qt.BrushStyle.NoBrush)
    frame = body.adjusted(stroke / 2, stroke / 2, -stroke / 2, -stroke / 2)
    p.setPen(QPen(palette.halo, stroke * 2.6))
    p.drawRoundedRect(frame, stroke, stroke)
    p.setPen(QPen(outline, stroke))
    p.drawRoundedRect(frame, stroke, stroke)
    if state.reserve_percent is not None and state.reserve_percent > 0:
        x = inner.left() + inner.width() * min(1.0, state.reserve_percent / 100.0)
        p.setPen(QPen(palette.outline, max(1.0, size / 24)))
        # A notch on the top edge, clear of the digits.
        p.drawLine(QPointF(x, body.top() - stroke * 1.2), QPointF(x, body.top() + stroke * 1.4))
    digits = size >= DIGITS_FROM_PX if show_digits is None else show_digits
    if digits and state.soe_percent is not None:
        font = QFont()
        font.setBold(True)
        font.setPixelSize(max(6, round(inner.height() * 0.95)))
        p.setFont(font)
        text = f"{round(state.soe_percent)}"
        # A dark halo keeps the digits readable over any fill colour.
        path = QPainterPath()
        metrics_width = p.fontMetrics().horizontalAdvance(text)
        baseline = inner.center().y() + p.fontMetrics().capHeight() / 2
        path.addText(QPointF(inner.center().x() - metrics_width / 2, baseline), font, text)
        p.setPen(QPen(QColor(0, 0, 0, 200), max(1.5, size / 20)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawPath(path)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(QColor(255, 255, 255) if not monochrome else QColor(0, 0, 0))
        p.drawPath(path)


def _glyph(p: QPainter, state: IconState, size: int, palette: Palette, monochrome: bool) -> None:
    if state.condition is not Condition.LIVE or state.flow is Flow.IDLE:
        return
    r = glyph_rect(size)
    p.setPen(Qt.PenStyle.NoPen)
    if state.flow is Flow.CHARGING:  # a lightning bolt
        p.setBrush(QColor(0, 0, 0) if monochrome else GREEN)
        bolt = QPolygonF([
            QPointF(r.left() + r.width() * 0.55, r.top()),
            QPointF(r.left() + r.width() * 0.15, r.top() + r.height() * 0.58),
            QPointF(r.left() + r.width() * 0.45, r.top() + r.height() * 0.58),
            QPointF(r.left() + r.width() * 0.35, r.bottom()),
            QPointF(r.left() + r.width() * 0.85, r.top() + r.height() * 0.38),
            QPointF(r.left() + r.width() * 0.55, r.top() + r.height() * 0.38),
        ])  # fmt: skip
        p.drawPolygon(bolt)
    else:  # discharging: an arrow out of the battery, downwards
        p.setBrush(QColor(0, 0, 0) if monochrome else AMBER)
        arrow = QPolygonF([
            QPointF(r.left() + r.width() * 0.35, r.top()),
            QPointF(r.left() + r.width() * 0.65, r.top()),
            QPointF(r.left() + r.width() * 0.65, r.top() + r.height() * 0.5),
            QPointF(r.left() + r.width() * 0.9, r.top() + r.height() * 0.5),
            QPointF(r.left() + r.width() * 0.5, r.bottom()),
            QPointF(r.left() + r.width() * 0.1, r.top() + r.height() * 0.5),
            QPointF(r.left() + r.width() * 0.35, r.top() + r.height() * 0.5),
        ])  # fmt: skip
        p.drawPolygon(arrow)


def _badge(p: QPainter, state: IconState, size: int, palette: Palette, monochrome: bool) -> None:
    r = badge_rect(size)
    side = min(r.width(), r.height())
    c = r.center()
    box = QRectF(c.x() - side / 2, c.y() - side / 2, side, side)
    mono = QColor(0, 0, 0)
    condition = state.condition
    if condition is Condition.LOGIN:  # a padlock
        p.setPen(QPen(mono if monochrome else AMBER, max(1.0, side / 7)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(box.left() + side * 0.25, box.top(), side * 0.5, side * 0.6), 0, 180 * 16)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(mono if monochrome else AMBER)
        p.drawRect(
            QRectF(box.left() + side * 0.15, box.top() + side * 0.35, side * 0.7, side * 0.6)
        )
        return
    if condition is Condition.CERTIFICATE:  # an octagon "stop" with a bar
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(mono if monochrome else RED)
        k = side * 0.29
        octagon = QPolygonF([
            QPointF(box.left() + k, box.top()), QPointF(box.right() - k, box.top()),
            QPointF(box.right(), box.top() + k), QPointF(box.right(), box.bottom() - k),
            QPointF(box.right() - k, box.bottom()), QPointF(box.left() + k, box.bottom()),
            QPointF(box.left(), box.bottom() - k), QPointF(box.left(), box.top() + k),
        ])  # fmt: skip
        p.drawPolygon(octagon)
        p.setBrush(QColor(255, 255, 255))
        p.drawRect(QRectF(box.left() + side * 0.2, c.y() - side * 0.09, side * 0.6, side * 0.18))
        return
    if condition is Condition.STOPPED:  # a pause sign: the Powerwalls are stopped
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(mono if monochrome else AMBER)
        bar = side * 0.26
        p.drawRect(QRectF(box.left() + side * 0.16, box.top() + side * 0.1, bar, side * 0.8))
        p.drawRect(QRectF(box.right() - side * 0.16 - bar, box.top() + side * 0.1, bar, side * 0.8))
        return
    if condition in (Condition.OFFLINE, Condition.STALE):  # a cross
        p.setPen(QPen(palette.dim if condition is Condition.STALE else palette.outline,
                      max(1.2, side / 6)))  # fmt: skip
        inset = side * 0.2
        near, far = inset, side - inset
        ends = (
            (
                QPointF(box.left() + near, box.top() + near),
                QPointF(box.left() + far, box.top() + far),
            ),
            (
                QPointF(box.left() + far, box.top() + near),
                QPointF(box.left() + near, box.top() + far),
            ),
        )
        cross = p.pen()
        for pen in (QPen(palette.halo, cross.widthF() * 2.2), cross):
            p.setPen(pen)
            for start, end in ends:
                p.drawLine(start, end)
        return
    if state.grid is Grid.UP:  # a filled disc
        p.setPen(QPen(palette.halo, max(1.0, side / 8)))
        p.setBrush(mono if monochrome else palette.outline)
        p.drawEllipse(box.adjusted(side * 0.18, side * 0.18, -side * 0.18, -side * 0.18))
    elif state.grid is Grid.OUTAGE:  # a warning triangle with an exclamation mark
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(mono if monochrome else RED)
        p.drawPolygon(QPolygonF([QPointF(c.x(), box.top()), QPointF(box.right(), box.bottom()),
                                 QPointF(box.left(), box.bottom())]))  # fmt: skip
        p.setBrush(QColor(255, 255, 255))
        bar = max(1.0, side * 0.14)
        p.drawRect(QRectF(c.x() - bar / 2, box.top() + side * 0.32, bar, side * 0.36))
        p.drawRect(QRectF(c.x() - bar / 2, box.top() + side * 0.76, bar, bar))
    elif state.grid is Grid.RESTORING:  # a broken ring: coming back
        p.setPen(QPen(mono if monochrome else BLUE, max(1.2, side / 5)))
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(
            box.adjusted(side * 0.15, side * 0.15, -side * 0.15, -side * 0.15), 60 * 16, 280 * 16
        )
