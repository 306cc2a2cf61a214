"""Every named scenario, timeline files, and the faults they inject."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from pwtray.simulator import SCENARIOS, ScenarioError, load_scenario
from tests.conftest import SimFactory
from tests.simulator.helpers import client, logged_in, peer_fingerprint


def grid(http: httpx.Client) -> str:
    return str(http.get("/api/system_status/grid_status").json()["grid_status"])


def test_every_named_scenario_loads() -> None:
    assert set(SCENARIOS) == {
        "normal",
        "outage",
        "flapping-grid",
        "drain-to-reserve",
        "sitemaster-stopped",
        "token-expiry",
        "lockout",
        "slow",
        "drop",
        "malformed-json",
        "html-error",
        "cert-rotation",
        "rate-limit",
        "refuse-sessions",
        "ignore-writes",
        "unable-to-stop",
    }
    for name in SCENARIOS:
        assert load_scenario(name).name == name


def test_outage_follows_the_real_grid_status_sequence(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("outage:at=60,duration=600",))
    seen: list[str] = []
    with logged_in(sim) as http:
        for _ in range(40):
            state = grid(http)
            if not seen or seen[-1] != state:
                seen.append(state)
            if state == "SystemIslandedActive":
                assert http.get("/api/meters/aggregates").json()["site"]["instant_power"] == 0
                assert http.get("/api/system_status/grid_status").json()["grid_services_active"]
            sim.advance(20)
    assert seen == [
        "SystemGridConnected",
        "SystemIslandedActive",
        "SystemTransitionToGrid",
        "SystemGridConnected",
    ]


def test_flapping_grid_goes_down_and_up_count_times(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("flapping-grid:at=10,count=3,down=20,up=60",))
    downs = 0
    previous = "SystemGridConnected"
    with logged_in(sim) as http:
        for _ in range(60):
            sim.advance(5)
            state = grid(http)
            if state == "SystemIslandedActive" and previous != state:
                downs += 1
            previous = state
    assert downs == 3
    assert previous == "SystemGridConnected"


def test_sitemaster_stopped_scenario(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("sitemaster-stopped:at=10,duration=60",))
    with logged_in(sim) as http:
        assert http.get("/api/system_status/soe").status_code == 200
        sim.advance(11)
        assert http.get("/api/system_status/soe").status_code == 502
        sim.advance(60)
        assert http.get("/api/system_status/soe").status_code == 200


def test_token_expiry_scenario(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("token-expiry:ttl=30",))
    with logged_in(sim) as http:
        assert http.get("/api/operation").status_code == 200
        sim.advance(31)
        assert http.get("/api/operation").status_code == 401


def test_lockout_scenario_refuses_even_the_right_password(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("lockout:duration=100",))
    with client(sim) as http:
        from tests.simulator.helpers import login

        assert login(http).status_code == 429
        sim.advance(101)
        assert login(http).status_code == 200


def test_slow_scenario_delays_answers(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("slow:latency_ms=300,jitter_ms=0",))
    with client(sim) as http:
        started = time.perf_counter()
        assert http.get("/api/status").status_code == 200
        assert time.perf_counter() - started >= 0.3


def test_drop_scenario_resets_connections(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("drop:rate=1",))
    with client(sim) as http, pytest.raises(httpx.TransportError):
        http.get("/api/status")
    assert sim.requests()[-1].outcome == "dropped"


def test_malformed_json_scenario_cuts_bodies(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("malformed-json:rate=1",))
    with client(sim) as http:
        response = http.get("/api/status")
    assert response.status_code == 200
    with pytest.raises(ValueError, match=r"Unterminated|Expecting"):
        response.json()


def test_html_error_scenario_answers_with_a_web_page(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("html-error:rate=1,status=502",))
    with client(sim) as http:
        response = http.get("/api/status")
    assert response.status_code == 502
    assert response.headers["content-type"].startswith("text/html")
    assert b"<h1>502 Bad Gateway</h1>" in response.content


def test_cert_rotation_scenario_changes_the_fingerprint(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("cert-rotation:at=30",))
    first = peer_fingerprint(sim)
    assert first == sim.fingerprint
    sim.advance(31)
    second = peer_fingerprint(sim)
    assert second != first
    assert second == sim.fingerprint


def test_scenarios_combine(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("outage:at=10,duration=100", "token-expiry:ttl=50"))
    with logged_in(sim) as http:
        sim.advance(11)
        assert grid(http) == "SystemIslandedActive"
        sim.advance(50)
        assert http.get("/api/operation").status_code == 401


def test_timeline_file(sim_factory: SimFactory, tmp_path: Path) -> None:
    timeline = tmp_path / "evening.toml"
    timeline.write_text(
        """
name = "evening outage"
[start]
time = "19:00"
soe = 40
[[step]]
at = 30
action = "grid-down"
[[step]]
at = 40
action = "fault"
kind = "html-error"
status = 500
[[step]]
at = 50
action = "clear-faults"
"""
    )
    sim = sim_factory(scenarios=(str(timeline),))
    with logged_in(sim) as http:
        assert http.get("/_sim/state").json()["soe_percent"] == pytest.approx(40, abs=0.2)
        sim.advance(31)
        assert grid(http) == "SystemIslandedActive"
        sim.advance(10)
        assert http.get("/api/status").status_code == 500
        sim.advance(10)
        assert http.get("/api/status").status_code == 200


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("sunshine", "unknown scenario 'sunshine'"),
        ("outage:at", "should look like key=value"),
    ],
)
def test_bad_scenarios_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        load_scenario(spec)


def test_bad_timeline_files_say_what_is_wrong(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("[[step]]\nat = 3\naction = 'explode'\n")
    with pytest.raises(ScenarioError, match="unknown action 'explode'"):
        load_scenario(str(broken))
    broken.write_text("not toml at all = = =")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(str(broken))
    with pytest.raises(ScenarioError, match="cannot read"):
        load_scenario(str(tmp_path / "missing.toml"))


def test_control_endpoint_drives_the_simulator(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        assert http.post("/_sim/grid/down").json() == {"ok": True}
        assert grid(http) == "SystemIslandedActive"
        assert http.post("/_sim/fault", json={"kind": "html-error", "rate": 1}).status_code == 200
        assert http.get("/api/status").status_code == 503
        http.post("/_sim/faults/clear")
        assert http.post("/_sim/set", json={"soe": 75}).status_code == 200
        assert http.get("/_sim/state").json()["soe_percent"] == pytest.approx(75)
        http.post("/_sim/scenario", json={"name": "sitemaster-stopped"})
        assert http.get("/api/system_status/soe").status_code == 502
        assert http.post("/_sim/fault", json={"kind": "meteor"}).status_code == 400
        assert http.post("/_sim/nothing").status_code == 404
        log = http.get("/_sim/requests").json()
        assert all(not entry["path"].startswith("/_sim") for entry in log)
        assert http.delete("/_sim/requests").status_code == 200
        assert http.get("/_sim/requests").json() == []
