"""The public face of a simulated gateway: start it, stop it, tell it what happens.

:class:`Simulator` puts the layers together — the transport (TLS, connections), the front door
(faults, refusals, the request log), the routes (the API answered from the site model) or a
replayed capture set, the sessions (logins, tokens, lock-outs) and the scenario timeline — and
offers the controls tests use. All model and session
state sits behind one lock. Time-based things (token lifetime, lock-out window, scenario
steps) run on the simulated clock, so tests jump forward with :meth:`Simulator.advance`
instead of sleeping. Imports nothing else from pwtray.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from pathlib import Path
from typing import Any

from ._config import RequestRecord, SimulatorConfig
from ._control import apply_settings, apply_step, control_endpoint
from ._faults import Faults
from ._front import FrontDoor
from ._model import SimClock, SiteModel, app_to_raw, raw_to_app
from ._replay import Replay
from ._responses import Identity
from ._routes import Answers, Routes
from ._sessions import Sessions
from ._timeline import Scenario, Timeline, at_time_of_day, load_scenario
from ._transport import Transport


class Simulator:
    """A running simulated gateway. Use as a context manager or call start()/stop()."""

    def __init__(self, config: SimulatorConfig | None = None) -> None:
        self.config = cfg = config or SimulatorConfig()
        self._lock = threading.RLock()
        self._ticking = False
        self._rng = random.Random(cfg.seed)
        scenarios = [load_scenario(spec) for spec in cfg.scenarios]
        self.clock = SimClock(_start_time(cfg, scenarios), cfg.speed)
        self.model = SiteModel(
            clock=self.clock,
            powerwalls=cfg.powerwalls,
            seed=cfg.seed,
            solar_peak_w=cfg.solar_peak_w,
        )
        self.model.set_soe_raw(app_to_raw(cfg.soe_percent))
        self._sessions = Sessions(cfg)
        self._faults = Faults()
        self._routes: Answers
        if cfg.replay is not None:
            self._routes = Replay(cfg, cfg.replay, self._sessions, self.clock)
        else:
            self._routes = Routes(
                cfg,
                self.model,
                _identity(cfg, self.clock.start),
                self._sessions,
                fault=lambda kind, path: self._faults.active(kind, self._rng, path),
            )
        self._timeline = Timeline(scenarios)
        for scenario in scenarios:
            self._take_settings(scenario)
        stopping = threading.Event()
        self._front = FrontDoor(
            lock=self._lock,
            rng=self._rng,
            faults=self._faults,
            answers=self._routes,
            control=lambda method, path, body: control_endpoint(self, method, path, body),
            tick=self._tick,
            sim_time=lambda: self.model.now().isoformat(),
            https_url=lambda: self.base_url,
            stopping=stopping,
        )
        self._transport = Transport(
            cfg,
            handle=self._front.serve,
            now=lambda: self.clock.now().timestamp(),
            on_connect=self._tick_locked,
            stopping=stopping,
        )

    # ------------------------------------------------------------------ life cycle
    def start(self) -> Simulator:
        self._transport.start()
        return self

    def stop(self) -> None:
        """Stop accepting, close every connection, and wait for every thread."""
        self._transport.stop()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def identity(self) -> Identity:
        return self._routes.identity

    @property
    def host(self) -> str:
        return self.config.host

    @property
    def port(self) -> int:
        return self._transport.port

    @property
    def address(self) -> str:
        """host:port, with brackets for IPv6."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"https://{self.address}"

    @property
    def http_port(self) -> int:
        """The plain-HTTP listener's port (``SimulatorConfig(plain_http=True)``)."""
        return self._transport.http_port

    @property
    def http_url(self) -> str:
        """``http://host:port`` of the plain-HTTP listener: the API on firmware before 1.20, a
        redirect to HTTPS on later firmware."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.http_port}"

    @property
    def cert_path(self) -> Path:
        return self._transport.cert_path

    @property
    def fingerprint(self) -> str:
        """SHA-256 of the certificate presented now, lower-case hex."""
        return self._transport.fingerprint

    @property
    def tls_handshakes(self) -> int:
        return self._transport.tls_handshakes

    @property
    def tls_failures(self) -> int:
        return self._transport.tls_failures

    # ------------------------------------------------------------------ controls
    def grid_down(self) -> None:
        with self._lock:
            self._tick()
            self.model.grid_down()

    def grid_up(self) -> None:
        with self._lock:
            self._tick()
            self.model.grid_up()

    def stop_sitemaster(self) -> None:
        with self._lock:
            self._tick()
            self.model.running = False

    def run_sitemaster(self) -> None:
        with self._lock:
            self._tick()
            self.model.running = True

    def set_fault(self, kind: str, **params: Any) -> None:
        """Switch a fault on (see ``FAULT_KINDS``); ``rate`` and ``paths`` limit where it hits."""
        with self._lock:
            self._faults.set(kind, params)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def rotate_certificate(self) -> None:
        """A new certificate, as after a gateway replacement; open connections are closed."""
        self._transport.rotate_certificate()

    def revoke_tokens(self) -> None:
        with self._lock:
            self._sessions.revoke_all()

    def lock_out(self, seconds: float) -> None:
        """Refuse every login for ``seconds`` simulated seconds from now."""
        with self._lock:
            self._tick()
            self._sessions.lock_out(self.model.elapsed_s + seconds)

    def advance(self, seconds: float) -> None:
        """Move the simulated clock forward at once (physics, tokens, lock-outs, scenarios)."""
        with self._lock:
            self.clock.advance(seconds)
            self._tick()

    def set_state(self, **values: Any) -> None:
        """Change the site: soe and reserve (app %), mode, load_w, solar_w, solar_peak_w, speed."""
        with self._lock:
            self._tick()
            apply_settings(self.model, self.clock, values)

    def add_scenario(self, spec: str) -> None:
        """Run a scenario from now on (its times count from this moment)."""
        scenario = load_scenario(spec)
        with self._lock:
            self._tick()
            self._take_settings(scenario)
            self._timeline.add(scenario, self.clock.elapsed_s())
            self._tick()

    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._front.log)

    def clear_requests(self) -> None:
        with self._lock:
            self._front.log.clear()

    def state(self) -> dict[str, Any]:
        """Everything about the simulated site and gateway, in plain values."""
        with self._lock:
            self._tick()
            m = self.model
            return {
                "sim_time": m.now().isoformat(),
                "elapsed_s": self.clock.elapsed_s(),
                "speed": self.clock.speed,
                "soe_raw": m.soe_raw,
                "soe_percent": raw_to_app(m.soe_raw),
                "remaining_wh": m.remaining_wh,
                "full_wh": m.full_wh,
                "solar_w": m.solar_w,
                "load_w": m.load_w,
                "battery_w": m.battery_w,
                "site_w": m.site_w,
                "grid_status": m.island_state,
                "utility_up": m.utility_up,
                "running": m.running,
                "mode": m.mode,
                "reserve_raw": m.reserve_raw,
                "reserve_percent": raw_to_app(m.reserve_raw),
                "firmware": self.identity.firmware,
                "fingerprint": self.fingerprint,
                "sessions": len(self._sessions),
                "locked_out_for_s": max(0.0, self._sessions.locked_until_s - m.elapsed_s),
                "faults": {kind: dict(p) for kind, p in self._faults.settings.items()},
                "tls_handshakes": self.tls_handshakes,
                "tls_failures": self.tls_failures,
                "pending_steps": [
                    {"at_s": s.at_s, "action": s.action, **s.params} for s in self._timeline.steps
                ],
            }

    # ------------------------------------------------------------------ time
    def _tick(self) -> None:
        """Bring the model and the scenario steps up to the simulated now (lock held)."""
        if self._ticking:
            return  # a step's own control: the model already stands at the step's time
        self._ticking = True
        try:
            now_s = self.clock.elapsed_s()
            while (step := self._timeline.next_due(now_s)) is not None:
                self.model.advance_to(step.at_s)
                apply_step(self, step)
            self.model.advance_to(now_s)
            self.model.refresh()
        finally:
            self._ticking = False

    def _tick_locked(self) -> None:
        with self._lock:
            self._tick()

    def _take_settings(self, scenario: Scenario) -> None:
        apply_settings(self.model, self.clock, scenario.start)
        if "token_ttl_s" in scenario.settings:
            self._sessions.ttl_s = float(scenario.settings["token_ttl_s"])


def _start_time(config: SimulatorConfig, scenarios: list[Scenario]) -> dt.datetime:
    """The configured start (the wall clock only when none is given), at the time of day a
    scenario asks for."""
    start = config.start
    if start is None:
        start = dt.datetime.now().astimezone()
    elif start.tzinfo is None:
        raise ValueError("SimulatorConfig.start needs a time zone (tzinfo)")
    for scenario in scenarios:
        if "time" in scenario.start:
            start = at_time_of_day(start, str(scenario.start["time"]))
    return start


def _identity(config: SimulatorConfig, start: dt.datetime) -> Identity:
    firmware = config.firmware
    commit = firmware.split()[-1] if " " in firmware else ""
    git_hash = (
        (commit + "575b7b19bad7e12a4ebad0eb52d1f50a")[:40]
        if commit
        else "dc337851c6cad15a7e9c7223d60fff719eb8da4d"
    )
    return Identity(
        firmware=firmware,
        serial=config.serial,
        site_name=config.site_name,
        timezone="America/Los_Angeles",
        git_hash=git_hash,
        started=start - dt.timedelta(hours=230, minutes=55),
    )
