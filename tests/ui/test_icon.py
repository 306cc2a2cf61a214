"""The tray icon's pixels: digits a panel can show, states apart without colour, crisp sizes.

Everything is measured on the painted image (``paint`` is what Qt gets), at the sizes panels
use: 16, 22 (Xfce's Status Tray) and 24 px.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from pwtray.ui.icon import (
    SIZES,
    Condition,
    Flow,
    Grid,
    IconState,
    icon,
    layout,
    paint,
)

PANEL_SIZES = (16, 22, 24)
DARK_PANEL, LIGHT_PANEL = (0x30, 0x30, 0x30), (0xF0, 0xF0, 0xF0)
Array = np.ndarray[Any, Any]

# Every state a user must tell apart, at the same charge.
STATES = {
    "grid up": IconState(58, Flow.IDLE, Grid.UP, 20),
    "grid outage": IconState(58, Flow.IDLE, Grid.OUTAGE, 20),
    "grid restoring": IconState(58, Flow.IDLE, Grid.RESTORING, 20),
    "grid unknown": IconState(58, Flow.IDLE, Grid.UNKNOWN, 20),
    "stale": IconState(58, Flow.IDLE, Grid.UP, 20, Condition.STALE),
    "offline": IconState(58, Flow.IDLE, Grid.UP, 20, Condition.OFFLINE),
    "login needed": IconState(58, Flow.IDLE, Grid.UP, 20, Condition.LOGIN),
    "certificate changed": IconState(58, Flow.IDLE, Grid.UP, 20, Condition.CERTIFICATE),
    "Powerwalls stopped": IconState(58, Flow.IDLE, Grid.UP, 20, Condition.STOPPED),
    "no reading yet": IconState(None, Flow.IDLE, Grid.UNKNOWN, None, Condition.STALE),
}


def rgba(image: QImage) -> Array:
    """The image as an (height, width, 4) array of 0 to 255 (not premultiplied)."""
    image = image.convertToFormat(QImage.Format.Format_RGBA8888)
    data = np.frombuffer(image.constBits(), dtype=np.uint8, count=image.sizeInBytes())
    rows = data.reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def over(panel: tuple[int, int, int], image: QImage) -> Array:
    """The icon as the panel shows it: composited over the panel's colour (RGB floats)."""
    pixels = rgba(image).astype(float)
    alpha = pixels[..., 3:] / 255
    return pixels[..., :3] * alpha + np.array(panel, dtype=float) * (1 - alpha)


def luminance(rgb: Array) -> Array:
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114]), dtype=float)


def relative_luminance(rgb: Array) -> Array:
    """WCAG 2 relative luminance of sRGB colours."""
    c = np.asarray(rgb, dtype=float) / 255
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return np.asarray(linear @ np.array([0.2126, 0.7152, 0.0722]), dtype=float)


def contrast_ratio(a: Array, b: Array) -> Array:
    la, lb = relative_luminance(a), relative_luminance(b)
    return (np.maximum(la, lb) + 0.05) / (np.minimum(la, lb) + 0.05)


def digit_mask(state: IconState, size: int) -> Array:
    """Where the digits are: pixels of the ink colour inside the digits' area."""
    pixels = rgba(paint(state, size))
    area = layout(size).digits
    mask = np.zeros(pixels.shape[:2], dtype=bool)
    ink = (255, 255, 255, 255)  # live, grid up: white digits
    region = pixels[area.y : area.bottom, area.x : area.right]
    mask[area.y : area.bottom, area.x : area.right] = (region == ink).all(axis=-1)
    return mask


def runs(columns: Array) -> int:
    """How many separate runs of True a row of booleans has."""
    return int(np.count_nonzero(np.diff(np.concatenate([[0], columns.astype(int), [0]])) == 1))


# ---------------------------------------------------------------------- digits
@pytest.mark.parametrize("charge", [0, 7, 42, 88, 100])
def test_digits_at_22_px_are_at_least_12_px_tall(qapp: QApplication, charge: int) -> None:
    rows = np.nonzero(digit_mask(IconState(charge, Flow.IDLE, Grid.UP, 20), 22).any(axis=1))[0]
    assert rows.max() - rows.min() + 1 >= 12


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_100_fits_as_three_separate_digits(qapp: QApplication, size: int) -> None:
    columns = np.asarray(digit_mask(IconState(100, Flow.IDLE, Grid.UP, 20), size).any(axis=0))
    assert runs(columns) == 3  # "1", "0", "0", each apart from the next


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_digits_never_touch_the_outline(qapp: QApplication, size: int) -> None:
    for charge in range(101):
        used = np.nonzero(digit_mask(IconState(charge, Flow.IDLE, Grid.UP, 20), size).any(axis=0))[
            0
        ]
        assert used.min() >= 2, charge  # the outline is column 0, then a free column
        assert used.max() <= size - 3, charge


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_each_charge_paints_its_own_digits(qapp: QApplication, size: int) -> None:
    looks = {
        charge: digit_mask(IconState(charge, Flow.IDLE, Grid.UP, 20), size).tobytes()
        for charge in range(101)
    }
    assert len(set(looks.values())) == 101


@pytest.mark.parametrize("size", [*PANEL_SIZES, 32])
def test_drawn_on_whole_pixels(qapp: QApplication, size: int) -> None:
    """No smoothing: every pixel is fully opaque or fully clear, in one of a few colours."""
    for state in STATES.values():
        pixels = rgba(paint(state, size))
        assert set(np.unique(pixels[..., 3])) <= {0, 255}
        assert len(np.unique(pixels.reshape(-1, 4), axis=0)) <= 8


# ---------------------------------------------------------------------- the plate
@pytest.mark.parametrize("panel", [DARK_PANEL, LIGHT_PANEL])
@pytest.mark.parametrize("size", PANEL_SIZES)
def test_the_plate_stands_out_on_dark_and_light_panels(
    qapp: QApplication, panel: tuple[int, int, int], size: int
) -> None:
    """Along the icon's edge, the outline or the plate next to it contrasts with the panel at
    3:1 or more (WCAG's minimum for graphics), all the way round, on either panel, in every
    state."""
    background = np.array(panel, dtype=float)
    for name, state in STATES.items():
        pixels = rgba(paint(state, size))
        shown = over(panel, paint(state, size))
        opaque = pixels[..., 3] == 255
        edge = opaque & ~_inside(opaque)
        ratios = []
        for y, x in zip(*np.nonzero(edge), strict=True):
            inward = _inward(opaque, edge, y, x)
            candidates = [shown[y, x]] + ([shown[inward]] if inward is not None else [])
            ratios.append(max(float(contrast_ratio(c, background)) for c in candidates))
        assert min(ratios) >= 3.0, f"{name} at {size} px on {panel}: {min(ratios):.2f}:1"


def _inside(opaque: Array) -> Array:
    """Opaque pixels whose four neighbours are opaque too."""
    padded = np.pad(opaque, 1)
    inside = opaque & padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    return np.asarray(inside, dtype=bool)


def _inward(opaque: Array, edge: Array, y: int, x: int) -> tuple[int, int] | None:
    """The nearest opaque, non-edge pixel one step from (y, x), if any."""
    height, width = opaque.shape
    for dy, dx in ((1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (1, -1), (-1, 1), (-1, -1)):
        ny, nx = y + dy, x + dx
        if 0 <= ny < height and 0 <= nx < width and opaque[ny, nx] and not edge[ny, nx]:
            return ny, nx
    return None


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_digits_contrast_with_their_plate(qapp: QApplication, size: int) -> None:
    """Text contrast (WCAG AA, 4.5:1) between the digits or symbol and the plate behind them."""
    for name, state in STATES.items():
        pixels = rgba(paint(state, size))[..., :3]
        area = layout(size).digits
        region = pixels[area.y : area.bottom, area.x : area.right].reshape(-1, 3)
        colours, counts = np.unique(region, axis=0, return_counts=True)
        plate = colours[counts.argmax()]  # most of the digits' area is plate
        others = [c for c in colours if not (c == plate).all()]
        assert others, name
        best = max(float(contrast_ratio(c, plate)) for c in others)
        assert best >= 4.5, f"{name} at {size} px: {best:.1f}:1"


# ---------------------------------------------------------------------- states without colour
@pytest.mark.parametrize("panel", [DARK_PANEL, LIGHT_PANEL])
@pytest.mark.parametrize("size", PANEL_SIZES)
def test_every_state_pair_differs_in_greyscale(
    qapp: QApplication, panel: tuple[int, int, int], size: int
) -> None:
    """In the luminance image alone, any two states differ in at least 8 pixels by at least 48
    levels: a difference of shape or pattern, not a hue a colour-blind user cannot see."""
    grey = {name: luminance(over(panel, paint(state, size))) for name, state in STATES.items()}
    for (a, one), (b, other) in itertools.combinations(grey.items(), 2):
        differing = int(np.count_nonzero(np.abs(one - other) >= 48))
        assert differing >= 8, f"{a} and {b} at {size} px differ in {differing} pixels"


def test_an_outage_inverts_the_plate(qapp: QApplication) -> None:
    """Light plate, dark digits: the alarm is a change of lightness, seen without colour."""
    area = layout(22).digits

    def plate_and_ink(state: IconState) -> tuple[float, float]:
        grey = luminance(over(DARK_PANEL, paint(state, 22)))
        grey = grey[area.y : area.bottom, area.x : area.right]
        values, counts = np.unique(np.round(grey), return_counts=True)
        plate = float(values[counts.argmax()])
        ink = float(values[np.abs(values - plate).argmax()])
        return plate, ink

    up_plate, up_ink = plate_and_ink(STATES["grid up"])
    out_plate, out_ink = plate_and_ink(STATES["grid outage"])
    assert up_plate < 60 < 200 < up_ink
    assert out_ink < 30 < 100 < out_plate


# ---------------------------------------------------------------------- gauge, richer sizes
def test_the_gauge_follows_the_charge(qapp: QApplication) -> None:
    gauge = layout(22).gauge
    empty = (0x50, 0x50, 0x50)

    def filled(charge: int) -> tuple[int, set[tuple[int, ...]]]:
        row = rgba(paint(IconState(charge, Flow.IDLE, Grid.UP, None), 22))[gauge.y]
        bar = [tuple(int(v) for v in c) for c in row[gauge.x : gauge.right, :3]]
        full = [c for c in bar if c != empty]
        return len(full), set(full)

    assert filled(0) == (0, set())
    assert filled(10) == (2, {(0xDC, 0x2D, 0x2D)})  # red: low
    assert filled(35) == (6, {(0xF0, 0xA5, 0x00)})  # amber
    assert filled(90) == (15, {(0x2E, 0xB8, 0x5C)})  # green
    assert filled(100) == (gauge.width, {(0x2E, 0xB8, 0x5C)})


def test_flow_and_reserve_only_from_32_px(qapp: QApplication) -> None:
    for size in SIZES:
        idle = rgba(paint(IconState(62, Flow.IDLE, Grid.UP, None), size))
        charging = rgba(paint(IconState(62, Flow.CHARGING, Grid.UP, None), size))
        discharging = rgba(paint(IconState(62, Flow.DISCHARGING, Grid.UP, None), size))
        reserve = rgba(paint(IconState(62, Flow.IDLE, Grid.UP, 20), size))
        rich = size >= 32
        assert (not np.array_equal(idle, charging)) == rich, size
        assert (not np.array_equal(charging, discharging)) == rich, size
        assert (not np.array_equal(idle, reserve)) == rich, size


# ---------------------------------------------------------------------- what Qt gets
def test_the_tray_icon_offers_panel_sizes_with_the_22_px_one_doubled_as_the_largest(
    qapp: QApplication,
) -> None:
    """Xfce's tray scales the largest pixmap to 22 px: it must be the 22 px icon at 2x."""
    state = IconState(58, Flow.IDLE, Grid.UP, 20)
    tray = icon(state)
    sizes = sorted(s.width() for s in tray.availableSizes())
    assert sizes == [16, 22, 24, 32, 44]
    largest = rgba(tray.pixmap(QSize(44, 44)).toImage())
    one_x = rgba(paint(state, 22))
    assert np.array_equal(largest, one_x.repeat(2, axis=0).repeat(2, axis=1))
    for size in (16, 22, 24, 32):
        offered = rgba(tray.pixmap(QSize(size, size)).toImage())
        assert np.array_equal(offered, rgba(paint(state, size)))


@pytest.mark.parametrize("ratio", [1.0, 2.0, 3.0])
def test_high_dpi_repeats_pixels(qapp: QApplication, ratio: float) -> None:
    state = IconState(58, Flow.IDLE, Grid.UP, 20)
    image = paint(state, 22, device_pixel_ratio=ratio)
    assert (image.width(), image.devicePixelRatio()) == (round(22 * ratio), ratio)
    k = round(ratio)
    assert np.array_equal(rgba(image), rgba(paint(state, 22)).repeat(k, 0).repeat(k, 1))


def test_monochrome_is_black_only(qapp: QApplication) -> None:
    """Template images: every pixel that shows at all is pure black; only alpha varies."""
    for state in STATES.values():
        for size in (22, 32):
            pixels = rgba(paint(state, size, monochrome=True))
            shown = pixels[pixels[..., 3] > 0]
            assert len(shown) > 0
            assert (shown[:, :3] == 0).all()


def test_monochrome_states_differ_in_shape(qapp: QApplication) -> None:
    """In a template only the alpha shows: up, outage, restoring, stale and offline still differ."""
    names = ["grid up", "grid outage", "grid restoring", "stale", "offline", "login needed"]
    alphas = {n: rgba(paint(STATES[n], 22, monochrome=True))[..., 3] for n in names}
    for (a, one), (b, other) in itertools.combinations(alphas.items(), 2):
        assert np.count_nonzero(one != other) >= 8, (a, b)
    outage = alphas["grid outage"]
    area = layout(22).digits
    holes = outage[area.y : area.bottom, area.x : area.right] == 0
    assert holes.any()  # the digits are cut out of a black plate
    assert not np.array_equal(
        holes, alphas["grid up"][area.y : area.bottom, area.x : area.right] == 0
    )


def test_equal_states_paint_equal_icons(qapp: QApplication) -> None:
    a = IconState(61.6, Flow.IDLE, Grid.UP, 20.2).rounded
    b = IconState(62.4, Flow.IDLE, Grid.UP, 19.8).rounded
    assert a == b
    assert paint(a, 22) == paint(b, 22)


def test_too_small_a_size_is_refused_with_the_smallest_size(qapp: QApplication) -> None:
    with pytest.raises(ValueError, match="from 16 px up, not at 12 px"):
        paint(IconState(58), 12)
