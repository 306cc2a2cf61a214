"""Pictures for people to look at (saved under artifacts/): the tray icon and notification the
app sent over D-Bus, drawn on a panel. (The main window's pictures: test_window.py.)"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QImage, QPainter

from pwtray.gateway import GridState
from pwtray.monitor import Event, EventKind, Severity
from pwtray.ui.icon import Condition, Flow, Grid, IconState, paint
from tests.ui.fakedesktop import FakeDesktop
from tests.ui.test_desktop_notifications import Rig, WithRig
from tests.ui.test_desktop_notifications import with_rig as with_rig
from tests.ui.test_tray import T0, publish, snapshot

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def argb_image(width: int, height: int, data: bytes) -> QImage:
    image = QImage(width, height, QImage.Format.Format_ARGB32)
    for y in range(height):
        for x in range(width):
            a, r, g, b = data[(y * width + x) * 4 : (y * width + x) * 4 + 4]
            image.setPixelColor(x, y, QColor(r, g, b, a))
    return image


def test_tray_and_notification_during_an_outage(with_rig: WithRig, desktop: FakeDesktop) -> None:
    pictured: dict[str, Any] = {}

    async def scenario(rig: Rig) -> None:
        seen = len(desktop.notifications)
        facts: dict[str, float | str] = {"started_at": T0, "grid": "SystemIslandedActive",
                                         "soe": 58.0, "time_to_empty_s": 27_600.0}  # fmt: skip
        outage = Event(EventKind.GRID_OUTAGE, Severity.CRITICAL, T0, facts)
        publish(rig.tray, snapshot(grid=GridState.ISLANDED, soe_percent=58.0, battery_w=1100.0,
                                   site_w=0.0), [outage])  # fmt: skip
        await rig.wait(lambda: len(desktop.notifications) > seen, "the notification")
        pictured["note"] = desktop.notifications[-1]
        pixmaps = await rig.ask(desktop.icon_pixmaps)
        pictured["icon"] = next(p for p in pixmaps if p[0] == 32)
        pictured["title"] = (await rig.ask(desktop.tooltip))[0]

    with_rig(scenario)
    note, (width, height, data), title = pictured["note"], pictured["icon"], pictured["title"]
    canvas = QImage(560, 300, QImage.Format.Format_ARGB32)
    canvas.fill(QColor(236, 238, 241))
    p = QPainter(canvas)
    p.fillRect(0, 0, 560, 40, QColor(32, 33, 36))
    p.drawImage(510, 4, argb_image(width, height, data))
    p.setPen(QColor(230, 230, 230))
    p.setFont(QFont("Sans", 9))
    p.drawText(
        QRectF(10, 0, 300, 40), Qt.AlignmentFlag.AlignVCenter, "panel (Xvfb, fake tray host)"
    )
    p.fillRect(180, 52, 370, 100, QColor(48, 48, 52))
    p.setPen(QColor(255, 255, 255))
    p.setFont(QFont("Sans", 11, QFont.Weight.Bold))
    p.drawText(QRectF(192, 58, 350, 22), note.summary + "  (critical)")
    p.setFont(QFont("Sans", 9))
    p.drawText(QRectF(192, 82, 350, 66), Qt.TextFlag.TextWordWrap, note.body)
    p.fillRect(300, 164, 250, 126, QColor(255, 255, 225))
    p.setPen(QColor(20, 20, 20))
    p.drawText(QRectF(308, 168, 240, 120), Qt.TextFlag.TextWordWrap, title)
    p.end()
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "tray-outage.png"
    assert canvas.save(str(path))
    assert note.urgency == 2
    assert "Grid outage" in title


def test_icon_sheet(qapp: object) -> None:
    """Every state at the sizes panels use, on a light and on a dark panel, and the 22 px icon
    enlarged 4x without smoothing (docs/icons.png is a copy)."""
    rows = [
        ("62 %, grid up", IconState(62, Flow.CHARGING, Grid.UP, 20)),
        ("100 %, full", IconState(100, Flow.IDLE, Grid.UP, 20)),
        ("38 %, grid outage", IconState(38, Flow.DISCHARGING, Grid.OUTAGE, 20)),
        ("15 %, grid coming back", IconState(15, Flow.DISCHARGING, Grid.RESTORING, 20)),
        ("55 %, grid unknown", IconState(55, Flow.IDLE, Grid.UNKNOWN, 20)),
        ("stale (last: 55 %)", IconState(55, Flow.IDLE, Grid.UP, 20, Condition.STALE)),
        ("connecting", IconState(None, Flow.IDLE, Grid.UNKNOWN, None, Condition.STALE)),
        ("offline", IconState(55, Flow.IDLE, Grid.UP, 20, Condition.OFFLINE)),
        ("login needed", IconState(55, Flow.IDLE, Grid.UP, 20, Condition.LOGIN)),
        ("certificate changed", IconState(55, Flow.IDLE, Grid.UP, 20, Condition.CERTIFICATE)),
        ("Powerwalls stopped", IconState(55, Flow.IDLE, Grid.UP, 20, Condition.STOPPED)),
    ]
    sizes, zoom, row_h, label_w = (16, 22, 24, 32, 48), 4, 96, 190
    panel_w = sum(sizes) + 12 * len(sizes) + 22 * zoom + 24
    canvas = QImage(label_w + 2 * panel_w, 30 + row_h * len(rows), QImage.Format.Format_ARGB32)
    canvas.fill(QColor(255, 255, 255))
    p = QPainter(canvas)
    p.setFont(QFont("Sans", 9))
    for side, (background, ink) in enumerate(
        (
            (QColor(0xF0, 0xF0, 0xF0), QColor(30, 30, 30)),
            (QColor(0x30, 0x30, 0x30), QColor(230, 230, 230)),
        )
    ):
        left = label_w + side * panel_w
        p.fillRect(left, 0, panel_w, canvas.height(), background)
        p.setPen(ink)
        x = left + 8
        for size in sizes:
            p.drawText(QRectF(x, 6, size + 12, 18), f"{size}")
            x += size + 12
        p.drawText(QRectF(x, 6, 22 * zoom, 18), "22 px, 4x")
        for row, (_, state) in enumerate(rows):
            x, top = left + 8, 30 + row * row_h
            for size in sizes:
                p.drawImage(x, top + (row_h - size) // 2 - 4, paint(state, size))
                x += size + 12
            p.drawImage(
                x,
                top + (row_h - 22 * zoom) // 2 - 4,
                paint(state, 22).scaled(
                    22 * zoom,
                    22 * zoom,
                    Qt.AspectRatioMode.IgnoreAspectRatio,
                    Qt.TransformationMode.FastTransformation,
                ),
            )
    p.setPen(QColor(20, 20, 20))
    for row, (label, _) in enumerate(rows):
        p.drawText(
            QRectF(8, 30 + row * row_h, label_w - 8, row_h - 8),
            Qt.AlignmentFlag.AlignVCenter,
            label,
        )
    p.end()
    ARTIFACTS.mkdir(exist_ok=True)
    assert canvas.save(str(ARTIFACTS / "icons.png"))
