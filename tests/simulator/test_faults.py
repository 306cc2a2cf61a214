"""Faults that refuse or ignore requests: rate limits, refused sessions, ignored writes."""

from __future__ import annotations

import httpx
import pytest

from pwtray.simulator import ScenarioError
from tests.conftest import SimFactory
from tests.simulator.helpers import client, logged_in, login


def test_rate_limit_answers_429_with_the_given_retry_after_on_chosen_paths(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    sim.set_fault("rate-limit", retry_after=42, paths="/api/system_status/soe")
    with logged_in(sim) as http:
        limited = http.get("/api/system_status/soe")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "42"
        assert limited.json() == {
            "code": 429,
            "error": "Api Limit reached for this endpoint",
            "message": "API Limit Reached",
        }
        assert http.get("/api/meters/aggregates").status_code == 200


def test_rate_limit_as_a_scenario_on_every_path(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("rate-limit:retry_after=90,duration=30",))
    with client(sim) as http:
        assert login(http).headers["retry-after"] == "90"
        sim.advance(31)
        assert login(http).status_code == 200


def test_refuse_sessions_refuses_everything_but_the_login(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("refuse-sessions")
    with client(sim) as http:
        token = login(http).json()["token"]
        assert http.get("/api/status").status_code == 401
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get("/api/system_status/soe").status_code == 401
        sim.clear_faults()
        assert http.get("/api/system_status/soe").status_code == 200


def test_ignore_writes_accepts_every_write_and_applies_none(sim_factory: SimFactory) -> None:
    sim = sim_factory(allow_writes=True)
    sim.set_state(load_w=800, solar_w=0)
    sim.set_fault("ignore-writes")
    with logged_in(sim) as http:
        posted = http.post("/api/operation", json={"real_mode": "backup"})
        assert (posted.status_code, posted.json()["real_mode"]) == (200, "backup")
        http.get("/api/config/completed")
        assert http.get("/api/operation").json()["real_mode"] == "self_consumption"
        renamed = http.post("/api/site_info/site_name", json={"site_name": "Cabin"})
        assert renamed.json()["site_name"] == "Cabin"
        assert http.get("/api/site_info/site_name").json()["site_name"] == "Home Energy Gateway"
        island = {"island_mode": "intentional_reconnect_failsafe"}
        assert http.post("/api/v2/islanding/mode", json=island).status_code == 200
        sim.advance(10)
        grid = http.get("/api/system_status/grid_status").json()["grid_status"]
        assert grid == "SystemGridConnected"
        assert http.post("/api/sitemaster/stop", json={"force": True}).status_code == 202
        assert http.get("/api/sitemaster").json()["running"] is True


def test_a_fault_without_parameters_hits_every_request(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    sim.set_fault("drop")
    with client(sim) as http, pytest.raises(httpx.TransportError):
        http.get("/api/status")


def test_an_unknown_fault_is_refused(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with pytest.raises(ScenarioError, match="unknown fault 'meteor'"):
        sim.set_fault("meteor")
