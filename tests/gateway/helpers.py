"""Helpers for client tests: a client aimed at a simulator, a controllable clock."""

from __future__ import annotations

from typing import Any

from pwtray.gateway import GatewayClient
from pwtray.simulator import Simulator
from tests.conftest import PASSWORD


class FakeClock:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def password_for(sim: Simulator) -> str:
    """The password ``sim`` accepts: S + serial on firmware 1.x, the customer password after."""
    return "S" + sim.config.serial if sim.identity.legacy else PASSWORD


def client_for(sim: Simulator, **overrides: Any) -> GatewayClient:
    """A pinned client for ``sim`` with the right password for its firmware."""
    options: dict[str, Any] = {"password": password_for(sim), "fingerprint": sim.fingerprint}
    options.update(overrides)
    return GatewayClient(sim.address, **options)


def logins(sim: Simulator) -> int:
    return sum(1 for r in sim.requests() if r.path == "/api/login/Basic")
