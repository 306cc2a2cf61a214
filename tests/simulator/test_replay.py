"""Replaying whole capture sets over real TLS: every file of every set, served as recorded."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from pwtray.simulator import ScenarioError, Simulator, SimulatorConfig
from tests.conftest import PASSWORD, SETS, SimFactory, samples_dir
from tests.simulator.helpers import client, recorded_error

SET_NAMES = [
    "ha-us-1.x",
    "jrester-de-1.50",
    "pypowerwall-23.28-bogus",
    "pypowerwall-pvinverter-24.36",
    "pypowerwall-sim-23.44",
    "vlo-1.15-2018",
    "vlo-1.40.2-2019",
    "vlo-21.39.1-foogod",
    "vlo-21.39.1-foogod-stopped",
]


def path_of(file_name: str) -> str:
    """The API path a set's file answers (sets/SOURCES.md: ``/api/a/b`` is ``a.b.json``)."""
    stem = re.sub(r"(\.synthetic)?\.(json|err)$", "", file_name)
    return "/api/" + stem.replace(".", "/")


def log_in(http: httpx.Client, sim: Simulator) -> httpx.Response:
    if sim.identity.legacy:
        body = {"username": "", "password": "S" + sim.config.serial, "force_sm_off": False}
    else:
        body = {"username": "customer", "password": PASSWORD, "email": "me@example.com"}
    response = http.post("/api/login/Basic", json=body)
    assert response.status_code == 200, response.text
    if sim.identity.legacy:
        http.headers["Authorization"] = "Bearer " + response.json()["token"]
    return response


def test_the_nine_sets_are_all_here() -> None:
    samples_dir()
    assert sorted(p.name for p in SETS.iterdir() if p.is_dir()) == SET_NAMES


@pytest.mark.parametrize("set_name", SET_NAMES)
def test_every_file_of_a_set_is_served_as_recorded(sim_factory: SimFactory, set_name: str) -> None:
    directory = samples_dir() / "sets" / set_name
    sim = sim_factory(replay=directory)
    version = json.loads((directory / "status.json").read_text())["version"].strip()
    assert sim.identity.firmware == version
    files = sorted(f.name for f in directory.iterdir() if f.name != "login.Basic.json")
    assert files
    with client(sim) as http:
        login = log_in(http, sim)
        if (directory / "login.Basic.json").exists():
            assert login.content == (directory / "login.Basic.json").read_bytes()
        for name in files:
            response = http.get(path_of(name))
            if name.endswith(".err"):
                status, headers, body = recorded_error(set_name, name)
                assert response.status_code == status, name
                assert response.content == body[: int(headers.get("content-length", len(body)))]
                assert dict(response.headers) == headers | {
                    "content-length": headers.get("content-length", str(len(body)))
                }, name
            else:
                assert response.status_code == 200, name
                assert response.content == (directory / name).read_bytes(), name
                assert response.headers["content-type"] == "application/json"
        missing = http.get("/api/devices/vitals")
        assert missing.status_code == 404
        assert missing.json()["code"] == 404


@pytest.mark.parametrize(
    ("set_name", "needs_login"),
    [("vlo-21.39.1-foogod", True), ("pypowerwall-23.28-bogus", True), ("vlo-1.15-2018", False)],
)
def test_reads_need_a_session_on_current_firmware_sets_only(
    sim_factory: SimFactory, set_name: str, needs_login: bool
) -> None:
    sim = sim_factory(replay=samples_dir() / "sets" / set_name)
    with client(sim) as http:
        assert http.get("/api/status").status_code == 200
        soe = http.get("/api/system_status/soe")
        assert soe.status_code == (401 if needs_login else 200)
        if needs_login:
            log_in(http, sim)  # cookies
            assert http.get("/api/system_status/soe").status_code == 200


def test_a_1_15_set_keeps_its_token_protected_reads(sim_factory: SimFactory) -> None:
    sim = sim_factory(replay=samples_dir() / "sets" / "vlo-1.15-2018")
    with client(sim) as http:
        assert http.get("/api/operation").status_code == 401
        assert http.get("/api/powerwalls/status").status_code == 401
        log_in(http, sim)
        assert http.get("/api/operation").json() == {
            "mode": "self_consumption",
            "backup_reserve_percent": 15,
        }
        assert http.get("/api/powerwalls/status").status_code == 409


def test_a_wrong_password_is_refused_by_a_replay_too(sim_factory: SimFactory) -> None:
    sim = sim_factory(replay=samples_dir() / "sets" / "vlo-21.39.1-foogod")
    with client(sim) as http:
        refused = http.post("/api/login/Basic", json={"username": "customer", "password": "x"})
        assert refused.status_code == 401
        assert http.post("/api/operation", json={"real_mode": "backup"}).status_code == 401
        log_in(http, sim)
        assert http.post("/api/operation", json={"real_mode": "backup"}).status_code == 405


def test_faults_apply_to_a_replay(sim_factory: SimFactory) -> None:
    sim = sim_factory(replay=samples_dir() / "sets" / "vlo-1.15-2018")
    sim.set_fault("html-error", status=503, paths="/api/site_info")
    with client(sim) as http:
        assert http.get("/api/site_info").status_code == 503
        assert http.get("/api/status").status_code == 200


def test_a_directory_that_is_not_a_set_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="is not a directory"):
        Simulator(SimulatorConfig(replay=tmp_path / "nowhere"))
    with pytest.raises(ScenarioError, match=r"no status\.json"):
        Simulator(SimulatorConfig(replay=tmp_path))
    (tmp_path / "status.json").write_text('{"version": "21.39.1 7759c368"}')
    (tmp_path / "soe.err").write_text("garbage\n\n{}")
    with pytest.raises(ScenarioError, match=r"soe\.err: the first line should be a status line"):
        Simulator(SimulatorConfig(replay=tmp_path))


def test_cli_replays_a_set(tmp_path: Path) -> None:
    directory = samples_dir() / "sets" / "vlo-1.15-2018"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pwtray.simulator.cli",
            *["--port", "0", "--replay", str(directory), "--cert-dir", str(tmp_path)],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split()[2]
        assert process.stdout.readline().strip() == f"replaying {directory} (firmware 1.15.0)"
        soe = httpx.get(f"{url}/api/system_status/soe", verify=False, timeout=10)
        assert soe.content == (directory / "system_status.soe.json").read_bytes()
    finally:
        process.terminate()
        process.communicate(timeout=10)
