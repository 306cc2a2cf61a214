"""The gateway's percentages versus the Tesla app's.

The gateway stores the state of energy and the backup reserve on a raw scale whose 5 % is the
app's 0 % (the bottom 5 % of the pack is never offered to the house): ``raw = 5 + 0.95 * app``.
The seed document's measured table (app 5 → 10, 20 → 24, 30 → 33, 100 → 100) is this line to
within half a percent; pypowerwall (``scale=True``) and aiopowerwall use the same line.
"""

from __future__ import annotations

RAW_AT_APP_ZERO = 5.0
RAW_PER_APP = 0.95


def app_to_api(app_percent: float) -> float:
    """The Tesla app's percentage (0-100) as the gateway stores it (5-100)."""
    app = min(100.0, max(0.0, app_percent))
    return RAW_AT_APP_ZERO + RAW_PER_APP * app


def api_to_app(api_percent: float) -> float:
    """The gateway's raw percentage as the Tesla app shows it; raw values under 5 read 0."""
    app = (api_percent - RAW_AT_APP_ZERO) / RAW_PER_APP
    return min(100.0, max(0.0, app))
