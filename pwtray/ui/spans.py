"""The history ranges a user picks (no chart code here: the window knows them before the
History tab, and pyqtgraph with it, is first loaded)."""

from __future__ import annotations

import datetime as dt
import enum

DAY_S = 86_400.0


class Span(enum.Enum):
    TODAY = "Today"
    DAY = "Last 24 hours"
    WEEK = "Last 7 days"
    MONTH = "Last 30 days"
    YEAR = "Last 12 months"
    CUSTOM = "Custom range"


def span_bounds(span: Span, now: float, first: dt.date, last: dt.date) -> tuple[float, float]:
    """Start and end (epoch seconds) of a span; ``first``/``last`` are the custom days."""
    if span is Span.TODAY:
        midnight = (
            dt.datetime.fromtimestamp(now)
            .astimezone()
            .replace(hour=0, minute=0, second=0, microsecond=0)
        )
        return midnight.timestamp(), now
    if span is Span.CUSTOM:
        start = dt.datetime.combine(first, dt.time()).astimezone().timestamp()
        end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time()).astimezone().timestamp()
        return start, min(end, max(now, start + 1))
    days = {Span.DAY: 1, Span.WEEK: 7, Span.MONTH: 30, Span.YEAR: 365}[span]
    return now - days * DAY_S, now
