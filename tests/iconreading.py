"""Reading the tray icon's digits as an OCR engine does: from pixels, with ``tesseract``.

:func:`ink` separates the digits from the plate by lightness (Otsu's threshold; the minority
side is the ink) and drops marks much shorter than the tallest (the gauge, the plate's rounded
corners); :func:`read_digits` enlarges that by a whole factor without smoothing and runs
``tesseract`` for digits only. Used on icons as painted (tests/ui) and as a real panel shows
them in a screenshot (tests/desktop).
"""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import numpy as np
import pytest

Array = np.ndarray[Any, Any]
# Tesseract reads best when the digits are about 30 px tall; the icon's are 10 to 16.
OCR_DIGIT_HEIGHT_PX = 30
# Page segmentation: 6 (a block of text) reads a lone digit that 7 (a single line) drops.
PAGE_SEGMENTATION = 6


def require_tesseract() -> None:
    if shutil.which("tesseract") is None:
        pytest.fail("reading the panel needs tesseract: run 'sudo scripts/install-system-packages'")


def luminance(rgb: Array) -> Array:
    return np.asarray(rgb @ np.array([0.299, 0.587, 0.114]), dtype=float)


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


def read_digits(icon: Array, *, psm: int = PAGE_SEGMENTATION) -> str:
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
    command = ["tesseract", "-", "-", "--psm", str(psm), "-c", "tessedit_char_whitelist=0123456789"]
    result = subprocess.run(
        command, input=header + page.tobytes(), capture_output=True, timeout=30, check=True
    )
    return result.stdout.decode().strip()
