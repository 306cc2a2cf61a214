"""Faults a test or scenario switches on: each kind with its parameters, applied per request.

Every fault takes ``rate`` (the share of requests it hits, default all) and ``paths``
(comma-separated path prefixes it is limited to, default every path). Imports nothing else from
pwtray.
"""

from __future__ import annotations

import random
from typing import Any

from ._config import ScenarioError

FAULT_KINDS = frozenset(
    {
        "slow",  # latency_ms, jitter_ms: every answer waits
        "drop",  # the connection is reset instead of answered
        "malformed-json",  # JSON bodies cut in half
        "html-error",  # status: a web page instead of JSON
        "login-blackhole",  # seconds: a login is never answered (an overloaded gateway)
        "rate-limit",  # retry_after: 429 with a Retry-After header
        "refuse-sessions",  # every request but the login gets 401, even with a fresh token
        "ignore-writes",  # writes answered as accepted, never applied
        "unable-to-stop",  # sitemaster/stop answers the seed's 500 "Unable to stop sitemaster"
    }
)


class Faults:
    """The faults switched on now."""

    def __init__(self) -> None:
        self.settings: dict[str, dict[str, Any]] = {}

    def set(self, kind: str, params: dict[str, Any]) -> None:
        if kind not in FAULT_KINDS:
            known = ", ".join(sorted(FAULT_KINDS))
            raise ScenarioError(f"unknown fault {kind!r}; known: {known}")
        self.settings[kind] = dict(params)

    def clear(self) -> None:
        self.settings.clear()

    def active(self, kind: str, rng: random.Random, path: str = "") -> dict[str, Any] | None:
        """The fault's parameters if it hits this request, else None."""
        params = self.settings.get(kind)
        if params is None:
            return None
        only = params.get("paths")
        if only and not any(path.startswith(prefix) for prefix in str(only).split(",")):
            return None
        if rng.random() < float(params.get("rate", 1.0)):
            return params
        return None
