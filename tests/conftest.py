"""Shared fixtures: real simulators on loopback, real captured samples."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pwtray.simulator import Simulator, SimulatorConfig

SAMPLES = Path(__file__).parent / "fixtures" / "gateway-samples"
PASSWORD = "Xy7Qp"  # the simulated gateway's customer password in tests


def sample(name: str) -> Any:
    """A real response captured from a gateway (tests/fixtures/gateway-samples)."""
    return json.loads((SAMPLES / name).read_text())


SimFactory = Callable[..., Simulator]


@pytest.fixture
def sim_factory() -> Iterator[SimFactory]:
    """Start simulators with any SimulatorConfig fields; all are stopped after the test."""
    started: list[Simulator] = []
    before = set(threading.enumerate())

    def start(**overrides: Any) -> Simulator:
        overrides.setdefault("password", PASSWORD)
        sim = Simulator(SimulatorConfig(**overrides)).start()
        started.append(sim)
        return sim

    yield start
    for sim in started:
        sim.stop()
    leaked = [
        t
        for t in set(threading.enumerate()) - before
        if t.name.startswith("pwtray-sim") and t.is_alive()
    ]
    assert not leaked, f"simulator threads left running: {leaked}"


@pytest.fixture
def sim(sim_factory: SimFactory) -> Simulator:
    """A current-firmware gateway on 127.0.0.1 with a random port."""
    return sim_factory()
