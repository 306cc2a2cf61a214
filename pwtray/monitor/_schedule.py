"""When to read: the groups' intervals, back-off after failures, and what is due now."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from pwtray.monitor._endpoints import Group


@dataclass(frozen=True)
class Schedule:
    fast_s: float = 5.0
    slow_s: float = 60.0
    rare_s: float = 3600.0
    offline_after_s: float = 30.0  # failing this long turns "stale" into "offline"
    backoff_cap_s: float = 60.0
    # The watchdog: a cycle still running after this is abandoned and the data marked stale.
    # Each request has its own overall deadline (the client's), so this is the backstop.
    cycle_deadline_s: float = 30.0
    probe_timeout_s: float = 2.0  # a TCP connection attempt while waiting for the gateway

    def interval(self, group: Group) -> float:
        return {Group.FAST: self.fast_s, Group.SLOW: self.slow_s, Group.RARE: self.rare_s}[group]

    def backoff_s(self, failures: int, rng: random.Random) -> float:
        """Capped exponential back-off with ±20 % jitter after ``failures`` failed cycles."""
        base = self.fast_s * 2.0 ** min(max(failures, 1) - 1, 16)
        return min(self.backoff_cap_s, base) * rng.uniform(0.8, 1.2)


@dataclass
class Due:
    """Which groups are due: the fast group every cycle; the others by their interval."""

    schedule: Schedule
    next_due: dict[Group, float] = field(default_factory=lambda: dict.fromkeys(Group, 0.0))

    def groups(self, now: float) -> list[Group]:
        return [g for g in Group if g is Group.FAST or self.next_due[g] <= now]

    def done(self, groups: list[Group], now: float) -> None:
        for group in groups:
            self.next_due[group] = now + self.schedule.interval(group)

    def everything_now(self) -> None:
        self.next_due = dict.fromkeys(Group, 0.0)

    def next_fast_s(self, now: float) -> float:
        return max(0.0, min(self.next_due.values()) - now)
