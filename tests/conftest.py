"""Shared fixtures: real simulators on loopback, real captured samples."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from pwtray.simulator import Simulator, SimulatorConfig

# Real gateway captures are third-party data: they stay in the shared folder beside the
# checkout (../shared/gateway-samples), never copied into the project. PWTRAY_SHARED overrides.
SHARED = Path(os.environ.get("PWTRAY_SHARED") or Path(__file__).resolve().parents[2] / "shared")
SAMPLES = SHARED / "gateway-samples"
SETS = SAMPLES / "sets"
PASSWORD = "Xy7Qp"  # the simulated gateway's customer password in tests
# Simulated gateways start at a fixed local time (03:00, no sun, in a fixed zone) unless a
# test says otherwise: nothing depends on the hour, date or time zone the tests run at.
SIM_START = dt.datetime(2026, 6, 15, 3, 0, tzinfo=dt.timezone(dt.timedelta(hours=-7)))


def samples_dir() -> Path:
    """The captures folder; a test that needs it fails with what to do when it is missing."""
    if not (SAMPLES / "SOURCES.md").is_file():
        pytest.fail(
            f"the real gateway captures are not at {SAMPLES}: check out the shared folder beside "
            "this project (../shared/gateway-samples) or set PWTRAY_SHARED to its location"
        )
    return SAMPLES


def require(module: str) -> Any:
    """Import a peer library the tests compare against; missing, the test fails and says how."""
    try:
        return importlib.import_module(module)
    except ImportError:
        pytest.fail(f"{module} is not installed: run .venv/bin/pip install -e '.[test]'")


def sample(name: str) -> Any:
    """A real response captured from a gateway (../shared/gateway-samples)."""
    return json.loads((samples_dir() / name).read_text())


SimFactory = Callable[..., Simulator]


@pytest.fixture
def sim_factory() -> Iterator[SimFactory]:
    """Start simulators with any SimulatorConfig fields; all are stopped after the test."""
    started: list[Simulator] = []
    before = set(threading.enumerate())

    def start(**overrides: Any) -> Simulator:
        overrides.setdefault("password", PASSWORD)
        overrides.setdefault("start", SIM_START)
        overrides.setdefault("speed", 0.0)  # simulated time moves only when a test says
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


@pytest.fixture
def app_log(tmp_path: Path) -> Iterator[Path]:
    """The app's own logging (a file, DEBUG, with the redacting filter it always installs);
    yields the log file's path. Restores the root logger afterwards."""
    import logging

    from pwtray.settings import RedactingFilter, setup_logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    path = setup_logging(verbose=True, directory=tmp_path / "log", filters=[RedactingFilter()])
    yield path
    for handler in root.handlers[:]:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A real 1 MiB file system (tmpfs) that fills up like a real disk."""
    from tests.disks import small_disk as mount

    with mount(tmp_path / "disk") as folder:
        yield folder
