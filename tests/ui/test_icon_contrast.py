"""The icon stays readable whatever colour the panel is, even when the desktop's colour scheme
does not match the panel's (GNOME draws a dark top bar under a light theme)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication

from pwtray.ui.icon import Condition, Flow, Grid, IconState, badge_rect, battery_rect, paint


def over(background: QColor, icon: QImage) -> QImage:
    canvas = QImage(icon.size(), QImage.Format.Format_ARGB32)
    canvas.fill(background)
    p = QPainter(canvas)
    p.drawImage(0, 0, icon)
    p.end()
    return canvas


def contrast(image: QImage, background: QColor, rect: QRectF) -> int:
    """How far the most different pixel in ``rect`` is from the background's lightness."""
    return max(
        abs(image.pixelColor(x, y).lightness() - background.lightness())
        for y in range(int(rect.top()), int(rect.bottom()))
        for x in range(int(rect.left()), int(rect.right()))
    )


@pytest.mark.parametrize("dark_scheme", [False, True])
@pytest.mark.parametrize(
    "panel", [QColor(250, 250, 250), QColor(24, 24, 26), QColor(120, 120, 120)]
)
@pytest.mark.parametrize("state", [
    IconState(None, Flow.IDLE, Grid.UP, None),  # an empty battery: only the outline to see
    IconState(55, Flow.IDLE, Grid.UP, 20, Condition.OFFLINE),
])  # fmt: skip
def test_outline_and_badge_stand_out_on_any_panel(
    qapp: QApplication, dark_scheme: bool, panel: QColor, state: IconState
) -> None:
    image = over(panel, paint(state, 22, dark_panel=dark_scheme))
    # On a mid-grey panel nothing can differ by more than ~130 in lightness.
    needed = 70 if panel.lightness() == 120 else 110
    assert contrast(image, panel, battery_rect(22)) > needed
    assert contrast(image, panel, badge_rect(22)) > needed
