"""Faults a test or scenario switches on: each kind with its parameters, applied per request.

Every fault takes ``rate`` (the share of requests it hits, default all) and ``paths``
(comma-separated path prefixes it is limited to, default every path). Imports nothing else from
pwtray.
"""

from __future__ import annotations

import random
from typing import Any

from ._config import ScenarioError

FAULT_KINDS = frozenset({"slow", "drop", "malformed-json", "html-error", "login-blackhole"})


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
