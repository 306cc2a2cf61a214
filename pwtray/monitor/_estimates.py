"""Time to full / to reserve / to empty, from a smoothed battery power (not the noisy instant)."""

from __future__ import annotations

import math

from pwtray.monitor._snapshot import Estimates

SMOOTHING_S = 120.0  # time constant of the exponential average
MEANINGFUL_W = 50.0  # below this the battery is idle: no estimate
FULL_PERCENT = 99.5


def smooth(previous_w: float | None, instant_w: float, elapsed_s: float) -> float:
    """Exponential moving average with a time constant, robust to irregular intervals."""
    if previous_w is None or elapsed_s <= 0:
        return instant_w if previous_w is None else previous_w
    alpha = 1.0 - math.exp(-elapsed_s / SMOOTHING_S)
    return previous_w + alpha * (instant_w - previous_w)


def estimate(
    *,
    battery_w_smoothed: float | None,
    soe_percent: float | None,
    reserve_percent: float | None,
    capacity_wh: float | None,
    energy_remaining_wh: float | None,
) -> Estimates:
    if battery_w_smoothed is None or capacity_wh is None or energy_remaining_wh is None:
        return Estimates(battery_w_smoothed)
    if capacity_wh <= 0 or soe_percent is None:
        return Estimates(battery_w_smoothed)
    to_full = to_reserve = to_empty = None
    if battery_w_smoothed < -MEANINGFUL_W and soe_percent < FULL_PERCENT:
        to_full = (capacity_wh - energy_remaining_wh) / -battery_w_smoothed * 3600.0
    if battery_w_smoothed > MEANINGFUL_W:
        to_empty = energy_remaining_wh / battery_w_smoothed * 3600.0
        if reserve_percent is not None and soe_percent > reserve_percent:
            reserve_wh = capacity_wh * reserve_percent / 100.0
            to_reserve = max(0.0, energy_remaining_wh - reserve_wh) / battery_w_smoothed * 3600.0
    return Estimates(battery_w_smoothed, to_full, to_reserve, to_empty)


def describe_duration(seconds: float) -> str:
    """``2 h 05 min``, ``45 min``, ``under a minute``."""
    minutes = int(seconds // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days"
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"
