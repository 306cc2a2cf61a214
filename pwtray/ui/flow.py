"""The live power-flow diagram: Solar, Grid, Home, Powerwall (and Generator when there is one)
around a hub, with dots moving along each active path.

Directions follow the signs of the readings; dot speed and line thickness grow with power. The
Powerwall node carries a ring for the charge with the backup reserve marked; the Grid node shows
an outage by shape and words, not colour alone. Stale data greys the diagram and says since when.
The animation runs only while the widget is visible, and not at all with ``reduce_motion``.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from dataclasses import dataclass

from PySide6.QtCore import QPointF, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import (
    QColor,
    QFocusEvent,
    QFont,
    QFontMetricsF,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPixmap,
    QPolygonF,
    QRegion,
)
from PySide6.QtWidgets import QWidget

from pwtray.core.words import DEFAULT_UNITS, Units
from pwtray.gateway import GridState
from pwtray.monitor import Connectivity, Snapshot

IDLE_W = 30.0
FRAME_MS = 40  # 25 frames a second
BANNER_H = 24  # "Not live — readings from …" across the top
LABEL_H = 18  # a line under a node ("supplying 0.7 kW", "Grid outage")
FOCUS_RING = 14  # the keyboard focus ring's distance outside a node


class Node(enum.Enum):
    SOLAR = "Solar"
    GRID = "Grid"
    HOME = "Home"
    POWERWALL = "Powerwall"
    GENERATOR = "Generator"


@dataclass(frozen=True)
class Path:
    node: Node
    watts: float  # magnitude
    into_hub: bool  # True: the node supplies the hub; False: the hub supplies the node

    @property
    def active(self) -> bool:
        return self.watts >= IDLE_W


@dataclass(frozen=True)
class FlowState:
    paths: tuple[Path, ...]
    soe_percent: float | None
    reserve_percent: float | None
    grid: GridState | None
    live: bool
    since: float | None  # when the shown data was read, for "data from HH:MM"

    def path(self, node: Node) -> Path | None:
        return next((p for p in self.paths if p.node is node), None)

    @property
    def outage(self) -> bool:
        return (
            self.grid is not None
            and self.grid is not GridState.CONNECTED
            and (self.grid.off_grid or self.grid is GridState.TRANSITION_TO_GRID)
        )

    def describe(self) -> str:
        """The diagram in words, for screen readers."""
        parts = []
        for p in self.paths:
            if not p.active:
                continue
            verb = {
                Node.SOLAR: "produces",
                Node.GRID: "supplies" if p.into_hub else "receives",
                Node.HOME: "uses",
                Node.POWERWALL: "supplies" if p.into_hub else "charges with",
                Node.GENERATOR: "supplies",
            }[p.node]
            parts.append(f"{p.node.value} {verb} {p.watts / 1000:.1f} kW")
        if self.outage:
            parts.insert(0, "Grid outage")
        if not self.live:
            parts.append("readings are not live")
        return "; ".join(parts) or "No power flowing"


def flow_state(snapshot: Snapshot) -> FlowState:
    paths = []
    if snapshot.solar_w is not None:
        paths.append(Path(Node.SOLAR, max(0.0, snapshot.solar_w), True))
    if snapshot.site_w is not None:
        paths.append(Path(Node.GRID, abs(snapshot.site_w), snapshot.site_w > 0))
    if snapshot.load_w is not None:
        paths.append(Path(Node.HOME, max(0.0, snapshot.load_w), False))
    if snapshot.battery_w is not None:
        paths.append(Path(Node.POWERWALL, abs(snapshot.battery_w), snapshot.battery_w > 0))
    if snapshot.generator_w is not None:
        paths.append(Path(Node.GENERATOR, max(0.0, snapshot.generator_w), True))
    return FlowState(
        paths=tuple(paths),
        soe_percent=snapshot.soe_percent,
        reserve_percent=snapshot.reserve_percent,
        grid=snapshot.grid,
        live=snapshot.connectivity is Connectivity.ONLINE,
        since=snapshot.last_success_at,
    )


class FlowDiagram(QWidget):
    node_clicked = Signal(object)  # Node

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(360, 300)
        self.setAccessibleName("Power flow")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # arrows pick a node, Enter opens it
        self.state: FlowState | None = None
        self.reduce_motion = False
        self.units: Units = DEFAULT_UNITS
        self.selected: Node = Node.POWERWALL
        self._static: QPixmap | None = None
        self._static_key_drawn: tuple[object, ...] = ()
        self._phase = 0.0
        self._timer = QTimer(self)
        self._timer.setInterval(FRAME_MS)
        self._timer.timeout.connect(self._advance)

    # ------------------------------------------------------------------ state
    def show_snapshot(self, snapshot: Snapshot) -> None:
        self.state = flow_state(snapshot)
        self.setAccessibleDescription(self.state.describe())
        self._sync_timer()
        self.update()

    def set_reduce_motion(self, reduce: bool) -> None:
        self.reduce_motion = reduce
        self._sync_timer()
        self.update()

    def set_units(self, units: Units) -> None:
        self.units = units
        self.update()

    def is_animating(self) -> bool:
        return self._timer.isActive()

    def _sync_timer(self) -> None:
        wanted = (
            self.isVisible()
            and not self.reduce_motion
            and self.state is not None
            and self.state.live
            and any(p.active for p in self.state.paths)
        )
        if wanted and not self._timer.isActive():
            self._timer.start()
        elif not wanted and self._timer.isActive():
            self._timer.stop()

    def showEvent(self, event: object) -> None:
        self._sync_timer()

    def hideEvent(self, event: object) -> None:
        self._timer.stop()

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.update()  # the focus ring

    def focusOutEvent(self, event: QFocusEvent) -> None:
        self.update()

    def _advance(self) -> None:
        self._phase = (self._phase + FRAME_MS / 1000.0) % 1000.0
        self.update(self._dirty_region())

    # ------------------------------------------------------------------ geometry
    def node_centres(self) -> dict[Node, QPointF]:
        """Where the nodes sit: in proportion to the widget, but never so close to an edge that
        the focus ring, the banner or the line under the Powerwall is cut off."""
        w = float(self.width())
        top, bottom = self._rows()
        middle = (top + bottom) / 2
        centres = {
            Node.SOLAR: QPointF(w * 0.5, top),
            Node.GRID: QPointF(w * 0.15, middle),
            Node.HOME: QPointF(w * 0.85, middle),
            Node.POWERWALL: QPointF(w * 0.5, bottom),
        }
        if self.state is not None and self.state.path(Node.GENERATOR) is not None:
            centres[Node.GENERATOR] = QPointF(w * 0.15, bottom)
        return centres

    def _rows(self) -> tuple[float, float]:
        h, r = float(self.height()), self.radius()
        top = max(h * 0.16, BANNER_H + FOCUS_RING + r)
        bottom = min(h * 0.84, h - 2 - LABEL_H - 8 - r)
        return top, bottom

    def hub(self) -> QPointF:
        top, bottom = self._rows()
        return QPointF(self.width() * 0.5, (top + bottom) / 2)

    def radius(self) -> float:
        """A tenth of the smaller side, less when the height is short of room for the labels."""
        room = (self.height() - BANNER_H - FOCUS_RING - LABEL_H - 10 - 20) / 4
        return max(12.0, min(self.width() * 0.1, self.height() * 0.1, room))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        for node, centre in self.node_centres().items():
            if (
                math.dist((centre.x(), centre.y()), (event.position().x(), event.position().y()))
                <= self.radius()
            ):
                self.selected = node
                self.update()
                self.node_clicked.emit(node)
                return

    def keyPressEvent(self, event: QKeyEvent) -> None:
        nodes = list(self.node_centres())
        index = nodes.index(self.selected) if self.selected in nodes else 0
        key = event.key()
        if key in (Qt.Key.Key_Right, Qt.Key.Key_Down):
            self.selected = nodes[(index + 1) % len(nodes)]
        elif key in (Qt.Key.Key_Left, Qt.Key.Key_Up):
            self.selected = nodes[(index - 1) % len(nodes)]
        elif key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.node_clicked.emit(self.selected)
        else:
            super().keyPressEvent(event)
            return
        self.setAccessibleName(f"Power flow, {self.selected.value} selected")
        self.update()

    # ------------------------------------------------------------------ painting
    def paintEvent(self, event: QPaintEvent) -> None:
        """The still picture comes from a cached pixmap; only the dots are drawn every frame."""
        p = QPainter(self)
        key = self._static_key()
        if self._static is None or key != self._static_key_drawn:
            self._static = self._paint_static()
            self._static_key_drawn = key
        p.drawPixmap(0, 0, self._static)
        state = self.state
        if state is not None and state.live:
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            centres, hub, r = self.node_centres(), self.hub(), self.radius()
            for node, centre in centres.items():
                path = state.path(node)
                if path is not None and path.active:
                    self._dots(p, centre, hub, r, path, _node_colour(node, path))
        p.end()

    def _static_key(self) -> tuple[object, ...]:
        return (self.state, self.size(), self.devicePixelRatioF(), self.palette().cacheKey(),
                self.hasFocus(), self.selected, self.units)  # fmt: skip

    def _dirty_region(self) -> QRegion:
        """Where the dots move: the active paths' bounding boxes, not the whole widget."""
        region = QRegion()
        if self.state is None:
            return region
        hub, r = self.hub(), self.radius()
        for node, centre in self.node_centres().items():
            path = self.state.path(node)
            if path is not None and path.active:
                edge = _towards(centre, hub, r)
                box = QRectF(edge, hub).normalized().adjusted(-6, -6, 6, 6)
                region += box.toAlignedRect()
        return region

    def _paint_static(self) -> QPixmap:
        ratio = self.devicePixelRatioF()
        pixmap = QPixmap(self.size() * ratio)
        pixmap.setDevicePixelRatio(ratio)
        palette = self.palette()
        pixmap.fill(Qt.GlobalColor.transparent)  # the page behind shows through, tab or window
        p = QPainter(pixmap)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        text = palette.windowText().color()
        dim = QColor(text)
        dim.setAlpha(110)
        state = self.state
        live = state is not None and state.live
        centres = self.node_centres()
        hub = self.hub()
        r = self.radius()
        for node, centre in centres.items():
            path = state.path(node) if state else None
            active = path is not None and path.active and live
            colour = _node_colour(node, path) if active else dim
            width = 2.0 + (min(path.watts, 10_000) / 10_000 * 6 if path and active else 0)
            p.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
            p.drawLine(_towards(centre, hub, r), hub)
        for node, centre in centres.items():
            path = state.path(node) if state else None
            self._node(p, node, centre, r, path, text, dim, live)
        if self.hasFocus() and self.selected in centres:
            centre = centres[self.selected]
            p.setPen(QPen(palette.highlight().color(), 2, Qt.PenStyle.DashLine))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(centre, r + 14, r + 14)
        if state is not None and not state.live:
            since = (
                dt.datetime.fromtimestamp(state.since).astimezone().strftime("%H:%M")
                if state.since
                else "—"
            )
            p.setPen(text)
            p.setFont(_font(10, bold=True))
            p.drawText(QRectF(0, 0, self.width(), 24), Qt.AlignmentFlag.AlignCenter,
                       f"Not live — readings from {since}")  # fmt: skip
        p.end()
        return pixmap

    def _dots(self, p: QPainter, centre: QPointF, hub: QPointF, r: float, path: Path,
              colour: QColor) -> None:  # fmt: skip
        start, end = (
            (_towards(centre, hub, r), hub) if path.into_hub else (hub, _towards(centre, hub, r))
        )
        length = math.dist((start.x(), start.y()), (end.x(), end.y()))
        if length <= 0:
            return
        spacing = 28.0
        speed = 20.0 + min(path.watts, 10_000) / 10_000 * 120.0  # px per second
        offset = 0.0 if self.reduce_motion else (self._phase * speed) % spacing
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour.lighter(130))
        d = offset
        while d < length:
            t = d / length
            point = QPointF(
                start.x() + (end.x() - start.x()) * t, start.y() + (end.y() - start.y()) * t
            )
            p.drawEllipse(point, 3.5, 3.5)
            d += spacing

    def _node(self, p: QPainter, node: Node, centre: QPointF, r: float, path: Path | None,
              text: QColor, dim: QColor, live: bool) -> None:  # fmt: skip
        state = self.state
        circle = QRectF(centre.x() - r, centre.y() - r, 2 * r, 2 * r)
        p.setPen(QPen(text if live else dim, 2))
        p.setBrush(self.palette().base())
        p.drawEllipse(circle)
        if node is Node.POWERWALL and state is not None and state.soe_percent is not None:
            ring = circle.adjusted(-5, -5, 5, 5)
            p.setPen(QPen(dim, 5))
            p.drawEllipse(ring)
            soe = state.soe_percent
            ring_pen = QPen(_level_colour(soe) if live else dim, 5)
            ring_pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            p.setPen(ring_pen)
            p.drawArc(ring, 90 * 16, -round(soe / 100 * 360 * 16))
            if state.reserve_percent:
                angle = math.radians(90 - state.reserve_percent / 100 * 360)
                inner = QPointF(
                    centre.x() + (r + 1) * math.cos(angle), centre.y() - (r + 1) * math.sin(angle)
                )
                outer = QPointF(
                    centre.x() + (r + 10) * math.cos(angle), centre.y() - (r + 10) * math.sin(angle)
                )
                p.setPen(QPen(text, 2))
                p.drawLine(inner, outer)
        p.setPen(text if live else dim)
        inside = 1.8 * r  # the text stays inside the circle, smaller in a small window
        p.setFont(_font(10, bold=True, fit=(node.value, inside)))
        p.drawText(QRectF(centre.x() - 2 * r, centre.y() - r * 0.55, 4 * r, r * 0.5),
                   Qt.AlignmentFlag.AlignCenter, node.value)  # fmt: skip
        value = self.units.power(None if path is None else path.watts)
        if node is Node.POWERWALL and state is not None and state.soe_percent is not None:
            value = f"{state.soe_percent:.0f} %"
        p.setFont(_font(12, bold=False, fit=(value, inside)))
        p.drawText(QRectF(centre.x() - 2 * r, centre.y() - r * 0.05, 4 * r, r * 0.55),
                   Qt.AlignmentFlag.AlignCenter, value)  # fmt: skip
        if node is Node.POWERWALL and path is not None and path.active and state is not None:
            p.setFont(_font(9, bold=False))
            verb = "supplying" if path.into_hub else "charging"
            below = QRectF(centre.x() - 2 * r, centre.y() + r + 8, 4 * r, 18)
            p.drawText(
                below, Qt.AlignmentFlag.AlignCenter, f"{verb} {self.units.power(path.watts)}"
            )
        if node is Node.GRID and state is not None and state.outage:
            self._outage_badge(p, centre, r, state.grid is GridState.TRANSITION_TO_GRID)

    def _outage_badge(self, p: QPainter, centre: QPointF, r: float, restoring: bool) -> None:
        side = r * 0.9
        top = QPointF(centre.x() + r * 0.85, centre.y() - r * 1.35)
        p.setPen(Qt.PenStyle.NoPen)
        if restoring:
            p.setPen(QPen(QColor(40, 140, 230), 4))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawArc(QRectF(top.x() - side / 2, top.y(), side, side), 60 * 16, 280 * 16)
            label = "Reconnecting"
        else:
            p.setBrush(QColor(220, 45, 45))
            p.drawPolygon(QPolygonF([top, QPointF(top.x() + side / 2, top.y() + side),
                                     QPointF(top.x() - side / 2, top.y() + side)]))  # fmt: skip
            p.setBrush(QColor(255, 255, 255))
            p.drawRect(QRectF(top.x() - 1.5, top.y() + side * 0.3, 3, side * 0.38))
            p.drawRect(QRectF(top.x() - 1.5, top.y() + side * 0.76, 3, 3))
            label = "Grid outage"
        p.setPen(QColor(220, 45, 45) if not restoring else QColor(40, 140, 230))
        p.setFont(_font(10, bold=True))
        p.drawText(QRectF(centre.x() - 2 * r, centre.y() + r + 8, 4 * r, 18),
                   Qt.AlignmentFlag.AlignCenter, label)  # fmt: skip


def _towards(centre: QPointF, hub: QPointF, r: float) -> QPointF:
    """The point on a node's circle facing the hub."""
    dx, dy = hub.x() - centre.x(), hub.y() - centre.y()
    length = math.hypot(dx, dy) or 1.0
    return QPointF(centre.x() + dx / length * r, centre.y() + dy / length * r)


def _node_colour(node: Node, path: Path | None) -> QColor:
    if node is Node.SOLAR:
        return QColor(240, 165, 0)
    if node is Node.GRID:
        return QColor(120, 120, 130) if path and path.into_hub else QColor(46, 184, 92)
    if node is Node.POWERWALL:
        return QColor(46, 184, 92) if path and not path.into_hub else QColor(40, 140, 230)
    if node is Node.GENERATOR:
        return QColor(160, 90, 200)
    return QColor(40, 140, 230)


def _level_colour(soe: float) -> QColor:
    return (
        QColor(46, 184, 92)
        if soe > 50
        else QColor(240, 165, 0)
        if soe > 20
        else QColor(220, 45, 45)
    )


def _font(points: int, *, bold: bool, fit: tuple[str, float] | None = None) -> QFont:
    """The font at ``points``, or smaller (down to 6 pt) until ``fit``'s text fits its width."""
    font = QFont()
    font.setBold(bold)
    for size in range(points, 5, -1):
        font.setPointSize(size)
        if fit is None or QFontMetricsF(font).horizontalAdvance(fit[0]) <= fit[1]:
            break
    return font
