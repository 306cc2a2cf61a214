"""The icon check tolerates what a rasteriser patch release changes, and nothing more."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter

ROOT = Path(__file__).resolve().parents[2]


def make_icons() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "make_icons", ROOT / "packaging" / "make_icons.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("make_icons", module)
    spec.loader.exec_module(module)
    return module


def png(image: QImage) -> bytes:
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; it takes str
    return bytes(data.data())


def disc(size: int, radius: float, *, nudge: int = 0) -> QImage:
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(40, 120, 200))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.drawEllipse(QRectF(2.0, 2.0, radius, radius))
    painter.end()
    for x in range(nudge):  # a rasteriser's one-level differences on a few edge pixels
        colour = image.pixelColor(x + 5, 3)
        colour.setAlpha(max(0, colour.alpha() - 1))
        image.setPixelColor(x + 5, 3, colour)
    return image


def test_one_level_noise_on_edge_pixels_passes(qapp: object) -> None:
    tool = make_icons()
    fresh = png(disc(32, 26.0))
    assert tool.difference(png(disc(32, 26.0, nudge=9)), fresh, 32) is None


def test_a_changed_drawing_or_size_fails(qapp: object) -> None:
    tool = make_icons()
    fresh = png(disc(32, 26.0))
    assert "pixels differ" in tool.difference(png(disc(32, 20.0)), fresh, 32)
    assert tool.difference(png(disc(24, 20.0)), fresh, 32) == "not a 32x32 image"


def test_the_committed_icons_pass_the_check(qapp: object) -> None:
    tool = make_icons()
    assert tool.MANIFEST.read_text() == tool.inputs_digest()
