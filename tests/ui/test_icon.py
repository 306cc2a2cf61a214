"""The tray icon's pixels: shapes, digits, fill, reserve, states, panels, sizes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from pwtray.ui.icon import (
    SIZES,
    Condition,
    Flow,
    Grid,
    IconState,
    badge_rect,
    battery_rect,
    glyph_rect,
    paint,
)

BASE = IconState(62.0, Flow.IDLE, Grid.UP, 20.0)


def region(image: QImage, rect: QRectF) -> list[tuple[int, int, int, int]]:
    pixels = []
    for y in range(int(rect.top()), int(rect.bottom())):
        for x in range(int(rect.left()), int(rect.right())):
            c = image.pixelColor(x, y)
            pixels.append((c.red(), c.green(), c.blue(), c.alpha()))
    return pixels


def mask(image: QImage, rect: QRectF) -> list[bool]:
    """Which pixels are drawn at all: the shape, whatever the colour."""
    return [a > 128 for *_, a in region(image, rect)]


@pytest.mark.parametrize("size", [16, 22, 32, 64])
@pytest.mark.parametrize("monochrome", [False, True])
def test_grid_badges_differ_in_shape(qapp: QApplication, size: int, monochrome: bool) -> None:
    shapes = {
        grid: mask(
            paint(IconState(62, Flow.IDLE, grid, 20), size, monochrome=monochrome), badge_rect(size)
        )
        for grid in (Grid.UP, Grid.OUTAGE, Grid.RESTORING)
    }
    assert shapes[Grid.UP] != shapes[Grid.OUTAGE]
    assert shapes[Grid.UP] != shapes[Grid.RESTORING]
    assert shapes[Grid.OUTAGE] != shapes[Grid.RESTORING]
    assert all(any(shape) for shape in shapes.values())


def test_outage_badge_is_red_in_colour(qapp: QApplication) -> None:
    pixels = region(paint(IconState(62, Flow.IDLE, Grid.OUTAGE, 20), 32), badge_rect(32))
    red = [p for p in pixels if p[3] > 200 and p[0] > 180 and p[1] < 90 and p[2] < 90]
    assert len(red) > 20


@pytest.mark.parametrize("size", SIZES)
def test_digits_from_32_px(qapp: QApplication, size: int) -> None:
    automatic = paint(BASE, size)
    without = paint(BASE, size, show_digits=False)
    drawn = region(automatic, battery_rect(size)) != region(without, battery_rect(size))
    assert drawn == (size >= 32)


def test_digits_change_with_the_charge(qapp: QApplication) -> None:
    one = paint(IconState(47, Flow.IDLE, Grid.UP, None), 48, show_digits=True)
    other = paint(IconState(47, Flow.IDLE, Grid.UP, None), 48, show_digits=False)
    nine = paint(IconState(49, Flow.IDLE, Grid.UP, None), 48, show_digits=True)
    assert region(one, battery_rect(48)) != region(other, battery_rect(48))
    assert region(one, battery_rect(48)) != region(nine, battery_rect(48))


def test_fill_follows_the_charge(qapp: QApplication) -> None:
    def filled(soe: float) -> int:
        image = paint(IconState(soe, Flow.IDLE, Grid.UP, None), 64, show_digits=False)
        return sum(
            1 for r, g, b, a in region(image, battery_rect(64)) if a > 200 and (g > 120 or r > 180)
        )

    assert filled(10) < filled(40) < filled(90)


def test_low_charge_is_red_and_high_is_green(qapp: QApplication) -> None:
    def colours(soe: float) -> tuple[int, int]:
        pixels = region(
            paint(IconState(soe, Flow.IDLE, Grid.UP, None), 64, show_digits=False), battery_rect(64)
        )
        red = sum(1 for r, g, b, a in pixels if a > 200 and r > 180 and g < 90)
        green = sum(1 for r, g, b, a in pixels if a > 200 and g > 150 and r < 100)
        return red, green

    low_red, low_green = colours(12)
    high_red, high_green = colours(80)
    assert low_red > 0
    assert low_green == 0
    assert high_green > 0
    assert high_red == 0


def test_reserve_tick(qapp: QApplication) -> None:
    with_tick = paint(IconState(62, Flow.IDLE, Grid.UP, 20), 32)
    without = paint(IconState(62, Flow.IDLE, Grid.UP, None), 32)
    assert region(with_tick, battery_rect(32)) != region(without, battery_rect(32))


def test_charge_and_discharge_glyphs(qapp: QApplication) -> None:
    glyphs = {
        flow: mask(paint(IconState(62, flow, Grid.UP, None), 32), glyph_rect(32)) for flow in Flow
    }
    assert not any(glyphs[Flow.IDLE])
    assert any(glyphs[Flow.CHARGING])
    assert any(glyphs[Flow.DISCHARGING])
    assert glyphs[Flow.CHARGING] != glyphs[Flow.DISCHARGING]


def test_each_problem_state_looks_distinct(qapp: QApplication) -> None:
    looks = {
        condition: region(
            paint(IconState(62, Flow.CHARGING, Grid.UP, 20, condition), 32), QRectF(0, 0, 32, 32)
        )
        for condition in Condition
    }
    assert len({tuple(pixels) for pixels in looks.values()}) == len(Condition)
    live_glyph = mask(paint(IconState(62, Flow.CHARGING, Grid.UP, None), 32), glyph_rect(32))
    stale_glyph = mask(
        paint(IconState(62, Flow.CHARGING, Grid.UP, None, Condition.STALE), 32), glyph_rect(32)
    )
    assert any(live_glyph)
    assert not any(stale_glyph)  # no claim about a flow the monitor cannot see


def test_light_and_dark_panels_use_contrasting_outlines(qapp: QApplication) -> None:
    def lightness(dark: bool) -> list[float]:
        image = paint(IconState(None, Flow.IDLE, Grid.UNKNOWN, None), 32, dark_panel=dark)
        return [(r + g + b) / 3 for r, g, b, a in region(image, battery_rect(32)) if a > 200]

    assert min(lightness(dark=False)) < 50  # a dark outline (with a light rim)
    assert max(lightness(dark=True)) > 220  # a light outline (with a dark rim)


def test_monochrome_is_black_only(qapp: QApplication) -> None:
    image = paint(IconState(62, Flow.CHARGING, Grid.OUTAGE, 20), 32, monochrome=True)
    opaque = [p for p in region(image, QRectF(0, 0, 32, 32)) if p[3] > 200]
    assert opaque
    coloured = [p for p in opaque if max(p[:3]) - min(p[:3]) > 10]
    assert not coloured[: len(opaque) // 10]  # digits aside, no hue anywhere


def test_high_dpi(qapp: QApplication) -> None:
    image = paint(BASE, 32, device_pixel_ratio=2.0)
    assert (image.width(), image.height()) == (64, 64)
    assert image.devicePixelRatio() == 2.0


def test_equal_states_paint_equal_icons(qapp: QApplication) -> None:
    a = IconState(61.6, Flow.IDLE, Grid.UP, 20.2).rounded
    b = IconState(62.4, Flow.IDLE, Grid.UP, 19.8).rounded
    assert a == b
    assert paint(a, 32) == paint(b, 32)
