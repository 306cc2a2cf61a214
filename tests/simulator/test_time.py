"""Time is an input: a simulator given a start and a frozen clock answers the same bytes whenever,
wherever and on whatever machine it runs."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pwtray.simulator import Simulator, SimulatorConfig
from tests.conftest import SIM_START, SimFactory
from tests.simulator.helpers import client, logged_in

ROOT = Path(__file__).resolve().parents[2]

# Starts a frozen simulator, walks through an outage and prints every answer it gave (the login's
# random token and cookies left out). With PWTRAY_TEST_FAKE_WALL set, the wall clock (time.time,
# datetime.now/today/utcnow) claims to be in 2041: an answer that used it would differ.
SCRIPT = """
import datetime, json, os, sys, time

if os.environ.get("PWTRAY_TEST_FAKE_WALL"):
    FAKE = 2_250_000_000.0
    real = datetime.datetime

    class Wall2041(real):
        @classmethod
        def now(cls, tz=None):
            return real.fromtimestamp(FAKE, tz)

        @classmethod
        def today(cls):
            return real.fromtimestamp(FAKE)

        @classmethod
        def utcnow(cls):
            return real.fromtimestamp(FAKE, datetime.UTC).replace(tzinfo=None)

    datetime.datetime = Wall2041
    time.time = lambda: FAKE

import httpx
from pwtray.simulator import Simulator, SimulatorConfig

start = datetime.datetime.fromisoformat(sys.argv[1])
paths = json.loads(sys.argv[2])
outage = ("outage:at=30,duration=60",)
config = SimulatorConfig(start=start, speed=0, password="pw", scenarios=outage)
answers = []
with Simulator(config) as sim, httpx.Client(base_url=sim.base_url, verify=False) as http:
    login = http.post("/api/login/Basic", json={"username": "customer", "password": "pw"})
    answers.append([login.status_code, login.json()["loginTime"], login.headers["date"]])
    for step in range(4):
        for path in paths:
            response = http.get(path)
            answers.append([path, response.status_code, response.text, response.headers["date"]])
        sim.advance(31)
print(json.dumps(answers))
"""

PATHS = [
    "/api/meters/aggregates",
    "/api/system_status/soe",
    "/api/system_status/grid_status",
    "/api/system_status",
    "/api/system_status/grid_faults",
    "/api/sitemaster",
    "/api/status",
    "/api/site_info",
    "/api/operation",
    "/api/powerwalls",
    "/api/system/update/status",
    "/api/meters/site",
    "/api/meters/solar",
    "/api/meters/readings",
    "/api/networks",
]


def run(env: dict[str, str]) -> list[list[object]]:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, SIM_START.isoformat(), json.dumps(PATHS)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, **env},
    )
    assert result.returncode == 0, result.stderr
    answers: list[list[object]] = json.loads(result.stdout)
    return answers


def test_answers_depend_on_the_start_not_on_the_wall_clock_or_the_time_zone() -> None:
    here = run({"TZ": "Etc/GMT+12"})
    elsewhere = run({"TZ": "Etc/GMT-14", "PWTRAY_TEST_FAKE_WALL": "1"})
    assert here == elsewhere
    grid_states = [
        json.loads(str(body))["grid_status"]
        for path, _, body, _ in here[1:]
        if path == "/api/system_status/grid_status"
    ]
    assert grid_states == [
        "SystemGridConnected",
        "SystemIslandedActive",
        "SystemIslandedActive",
        "SystemTransitionToGrid",
    ]


def test_a_frozen_clock_moves_only_when_told(sim_factory: SimFactory) -> None:
    sim = sim_factory(speed=0)
    with logged_in(sim) as http:
        first = [http.get("/api/meters/aggregates").json() for _ in range(20)]
        assert all(reading == first[0] for reading in first)
        response = http.get("/_sim/state")
        assert response.json()["sim_time"] == SIM_START.isoformat()
        assert response.headers["date"] == email.utils.format_datetime(
            SIM_START.astimezone(dt.UTC), usegmt=True
        )
        sim.advance(90)
        assert http.post("/_sim/advance", json={"seconds": 30}).status_code == 200
        assert sim.state()["elapsed_s"] == 120
        assert sim.state()["sim_time"] == (SIM_START + dt.timedelta(seconds=120)).isoformat()


def test_the_clock_does_not_go_back(sim_factory: SimFactory) -> None:
    sim = sim_factory(speed=0)
    with pytest.raises(ValueError, match="only moves forward"):
        sim.advance(-1)
    with client(sim) as http:
        refused = http.post("/_sim/advance", json={"seconds": -5})
    assert refused.status_code == 400
    assert "only moves forward" in refused.json()["error"]


def test_a_start_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        Simulator(SimulatorConfig(start=dt.datetime(2026, 6, 15, 3, 0)))  # noqa: DTZ001 - the error under test


def test_a_scenario_start_time_applies_on_the_configured_day(sim_factory: SimFactory) -> None:
    sim = sim_factory(speed=0, scenarios=("drain-to-reserve",))  # starts at 20:00
    assert sim.state()["sim_time"] == SIM_START.replace(hour=20).isoformat()


CLI_FROZEN = ["--port", "0", "--speed", "0", "--start", "2026-01-02T12:30:00+01:00"]


def test_cli_speed_zero_and_start(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "pwtray.simulator.cli", *CLI_FROZEN, "--cert-dir", str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        with httpx.Client(base_url=url, verify=False, timeout=10) as http:
            assert http.get("/_sim/state").json()["sim_time"] == "2026-01-02T12:30:00+01:00"
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_cli_refuses_a_start_without_an_offset() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.simulator.cli", "--start", "2026-01-02T12:30"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "needs a UTC offset" in result.stderr


def test_a_frozen_site_shows_a_change_at_once(sim_factory: SimFactory) -> None:
    sim = sim_factory(speed=0, soe_percent=90)  # 03:00: no sun, the battery runs the house
    sim.set_state(load_w=4600)
    with logged_in(sim) as http:
        assert http.get("/api/sitemaster").json()["can_reboot"] == "Power flow is too high"
        sim.grid_down()
        meters = http.get("/api/meters/aggregates").json()
    assert meters["site"]["instant_power"] == 0
    assert meters["battery"]["instant_power"] == pytest.approx(4600 + 2, abs=1)
    assert sim.state()["elapsed_s"] == 0
