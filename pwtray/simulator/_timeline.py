"""Scenarios: named or file-based timelines of events and faults.

A scenario is a starting state plus steps at simulated seconds after the simulator starts.
Built-in ones take parameters: ``outage:at=30,duration=120``. A file (TOML) looks like::

    [start]
    time = "18:30"        # local time of day the simulated clock starts at
    soe = 40              # the app's percentage
    reserve = 20          # the app's percentage
    mode = "self_consumption"

    [[step]]
    at = 30
    action = "grid-down"

    [[step]]
    at = 90
    action = "fault"
    kind = "slow"
    latency_ms = 800

Actions: grid-down, grid-up, sitemaster-stop, sitemaster-run, fault (kind + parameters),
clear-faults, rotate-cert, revoke-tokens, lockout (seconds), set (soe, load_w, solar_w, mode,
reserve, solar_peak_w).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._config import ScenarioError
from ._faults import FAULT_KINDS

ACTIONS = frozenset(
    {
        "grid-down",
        "grid-up",
        "sitemaster-stop",
        "sitemaster-run",
        "fault",
        "clear-faults",
        "rotate-cert",
        "revoke-tokens",
        "lockout",
        "set",
    }
)


@dataclass(frozen=True)
class Step:
    at_s: float
    action: str
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    start: Mapping[str, Any] = field(default_factory=dict)
    steps: tuple[Step, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=dict)  # simulator options it sets


Params = dict[str, float | str]


def _outage(p: Params) -> Scenario:
    at, duration = float(p.get("at", 60)), float(p.get("duration", 600))
    return Scenario("outage", steps=(Step(at, "grid-down"), Step(at + duration, "grid-up")))


def _flapping(p: Params) -> Scenario:
    at, count = float(p.get("at", 60)), int(p.get("count", 5))
    down, up = float(p.get("down", 20)), float(p.get("up", 40))
    steps = []
    t = at
    for _ in range(count):
        steps += [Step(t, "grid-down"), Step(t + down, "grid-up")]
        t += down + up
    return Scenario("flapping-grid", steps=tuple(steps))


def _drain(p: Params) -> Scenario:
    reserve = float(p.get("reserve", 20))
    return Scenario(
        "drain-to-reserve",
        start={
            "time": str(p.get("time", "20:00")),
            "soe": float(p.get("soe", reserve + 4)),
            "reserve": reserve,
            "mode": "self_consumption",
            "load_w": float(p.get("load_w", 2500)),
        },
    )


def _sitemaster_stopped(p: Params) -> Scenario:
    at = float(p.get("at", 0))
    steps = [Step(at, "sitemaster-stop")]
    if "duration" in p:
        steps.append(Step(at + float(p["duration"]), "sitemaster-run"))
    return Scenario("sitemaster-stopped", steps=tuple(steps))


def _token_expiry(p: Params) -> Scenario:
    return Scenario("token-expiry", settings={"token_ttl_s": float(p.get("ttl", 60))})


def _lockout(p: Params) -> Scenario:
    at, duration = float(p.get("at", 0)), float(p.get("duration", 300))
    return Scenario("lockout", steps=(Step(at, "lockout", {"seconds": duration}),))


def _fault(kind: str, defaults: Params) -> Callable[[Params], Scenario]:
    def build(p: Params) -> Scenario:
        params = {**defaults, **{k: v for k, v in p.items() if k != "at"}}
        steps = [Step(float(p.get("at", 0)), "fault", {"kind": kind, **params})]
        if "duration" in p:
            steps.append(Step(float(p.get("at", 0)) + float(p["duration"]), "clear-faults"))
        return Scenario(kind, steps=tuple(steps))

    return build


def _cert_rotation(p: Params) -> Scenario:
    return Scenario("cert-rotation", steps=(Step(float(p.get("at", 30)), "rotate-cert"),))


SCENARIOS: dict[str, Callable[[Params], Scenario]] = {
    "normal": lambda p: Scenario("normal"),
    "outage": _outage,
    "flapping-grid": _flapping,
    "drain-to-reserve": _drain,
    "sitemaster-stopped": _sitemaster_stopped,
    "token-expiry": _token_expiry,
    "lockout": _lockout,
    "slow": _fault("slow", {"latency_ms": 1500, "jitter_ms": 500}),
    "drop": _fault("drop", {"rate": 0.25}),
    "malformed-json": _fault("malformed-json", {"rate": 0.25}),
    "html-error": _fault("html-error", {"rate": 0.25, "status": 503}),
    "rate-limit": _fault("rate-limit", {"retry_after": 300}),
    "refuse-sessions": _fault("refuse-sessions", {}),
    "ignore-writes": _fault("ignore-writes", {}),
    "unable-to-stop": _fault("unable-to-stop", {}),
    "cert-rotation": _cert_rotation,
}


def at_time_of_day(day: dt.datetime, time_of_day: str) -> dt.datetime:
    """``day`` at ``"HH:MM"`` local time (a scenario's start time)."""
    hour, _, minute = time_of_day.partition(":")
    try:
        return day.replace(hour=int(hour), minute=int(minute or 0), second=0, microsecond=0)
    except ValueError as exc:
        raise ScenarioError(f"start time {time_of_day!r} should look like HH:MM") from exc


def _parse_value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def load_scenario(spec: str) -> Scenario:
    """A built-in scenario (``name`` or ``name:key=value,…``) or a TOML timeline file."""
    path = Path(spec)
    if spec.endswith(".toml") or path.is_file():
        return _from_file(path)
    name, _, arguments = spec.partition(":")
    if name not in SCENARIOS:
        known = ", ".join(sorted(SCENARIOS))
        raise ScenarioError(f"unknown scenario {name!r}; known scenarios: {known}, or a .toml file")
    params: Params = {}
    for item in filter(None, arguments.split(",")):
        key, sep, value = item.partition("=")
        if not sep:
            raise ScenarioError(f"scenario parameter {item!r} should look like key=value")
        params[key.strip()] = _parse_value(value.strip())
    return SCENARIOS[name](params)


def _from_file(path: Path) -> Scenario:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario file {path}: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"scenario file {path} is not valid TOML: {exc}") from exc
    steps = []
    for index, raw in enumerate(data.get("step", [])):
        if not isinstance(raw, dict) or "at" not in raw or "action" not in raw:
            raise ScenarioError(f"{path}: step {index + 1} needs 'at' and 'action'")
        action = raw["action"]
        if action not in ACTIONS:
            raise ScenarioError(f"{path}: step {index + 1}: unknown action {action!r}")
        params = {k: v for k, v in raw.items() if k not in ("at", "action")}
        if action == "fault" and params.get("kind") not in FAULT_KINDS:
            kinds = ", ".join(sorted(FAULT_KINDS))
            raise ScenarioError(f"{path}: step {index + 1}: fault kind must be one of {kinds}")
        steps.append(Step(float(raw["at"]), action, params))
    start = data.get("start", {})
    if not isinstance(start, dict):
        raise ScenarioError(f"{path}: [start] must be a table")
    return Scenario(
        str(data.get("name", path.stem)),
        start=start,
        steps=tuple(sorted(steps, key=lambda s: s.at_s)),
        settings=data.get("settings", {}),
    )


class Timeline:
    """The scenario steps still to come, in order of their simulated time."""

    def __init__(self, scenarios: list[Scenario]) -> None:
        self.steps = sorted((step for s in scenarios for step in s.steps), key=lambda s: s.at_s)

    def add(self, scenario: Scenario, now_s: float) -> None:
        """Schedule ``scenario``'s steps counting from ``now_s``."""
        shifted = [Step(now_s + s.at_s, s.action, s.params) for s in scenario.steps]
        self.steps = sorted(self.steps + shifted, key=lambda s: s.at_s)

    def next_due(self, now_s: float) -> Step | None:
        """Take the earliest step due by ``now_s``, if any."""
        if self.steps and self.steps[0].at_s <= now_s:
            return self.steps.pop(0)
        return None
