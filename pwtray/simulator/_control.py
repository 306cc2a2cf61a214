"""The simulator's own controls: ``/_sim/*`` over HTTP, scenario steps and settings.

Every control ends in one of the facade's public methods, so a test, a scenario step and a
``curl`` to ``/_sim`` do the same thing. Imports nothing else from pwtray.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from ._config import Json, ScenarioError
from ._model import SimClock, SiteModel, app_to_raw
from ._timeline import Step

if TYPE_CHECKING:
    from ._simulator import Simulator


def control_endpoint(sim: Simulator, method: str, path: str, body: bytes) -> tuple[int, Json]:
    """Answer ``/_sim/<action>``: a status and a JSON body."""
    action = path.removeprefix("/_sim").strip("/")
    try:
        args = json.loads(body) if body else {}
        if not isinstance(args, dict):
            return 400, {"error": "the body must be a JSON object"}
        if method == "GET" and action == "state":
            return 200, sim.state()
        if method == "GET" and action == "requests":
            return 200, [asdict(record) for record in sim.requests()]
        if method == "DELETE" and action == "requests":
            sim.clear_requests()
            return 200, {"ok": True}
        if method != "POST":
            return 405, {"error": f"{method} /_sim/{action} is not supported"}
        commands: dict[str, Callable[[], None]] = {
            "grid/down": sim.grid_down,
            "grid/up": sim.grid_up,
            "sitemaster/stop": sim.stop_sitemaster,
            "sitemaster/run": sim.run_sitemaster,
            "rotate-cert": sim.rotate_certificate,
            "revoke-tokens": sim.revoke_tokens,
            "faults/clear": sim.clear_faults,
            "fault": lambda: sim.set_fault(str(args.pop("kind", "")), **args),
            "advance": lambda: sim.advance(float(args.get("seconds", 0))),
            "lockout": lambda: sim.lock_out(float(args.get("seconds", 300))),
            "set": lambda: sim.set_state(**args),
            "scenario": lambda: sim.add_scenario(str(args.get("name", ""))),
        }
        if action not in commands:
            return 404, {"error": f"unknown control {action!r}", "known": sorted(commands)}
        commands[action]()
        return 200, {"ok": True}
    except (ScenarioError, ValueError, TypeError) as exc:
        return 400, {"error": str(exc)}


def apply_step(sim: Simulator, step: Step) -> None:
    """Carry out one scenario step (the model already stands at the step's time)."""
    params = dict(step.params)
    actions: dict[str, Callable[[], None]] = {
        "grid-down": sim.grid_down,
        "grid-up": sim.grid_up,
        "sitemaster-stop": sim.stop_sitemaster,
        "sitemaster-run": sim.run_sitemaster,
        "fault": lambda: sim.set_fault(str(params.pop("kind")), **params),
        "clear-faults": sim.clear_faults,
        "rotate-cert": sim.rotate_certificate,
        "revoke-tokens": sim.revoke_tokens,
        "lockout": lambda: sim.lock_out(float(params.get("seconds", 300))),
        "set": lambda: sim.set_state(**params),
    }
    actions[step.action]()


def apply_settings(model: SiteModel, clock: SimClock, values: Mapping[str, Any]) -> None:
    """Change the site: soe and reserve (app %), mode, load_w, solar_w, solar_peak_w, speed.

    ``time`` is accepted and ignored here: a scenario's start time sets the clock's start.
    """
    for key, value in values.items():
        if key == "soe":
            model.set_soe_raw(app_to_raw(float(value)))
        elif key == "reserve":
            model.reserve_raw = app_to_raw(float(value))
        elif key == "mode":
            model.mode = str(value)
        elif key == "load_w":
            model.load_override_w = None if value is None else float(value)
        elif key == "solar_w":
            model.solar_override_w = None if value is None else float(value)
        elif key == "solar_peak_w":
            model.solar_peak_w = float(value)
        elif key == "speed":
            clock.set_speed(float(value))
        elif key != "time":
            raise ScenarioError(f"unknown setting {key!r}")
