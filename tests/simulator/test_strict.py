"""The simulator is as strict as the seed document and the captures: each rule here is checked
against the seed's own words or the capture it was taken from."""

from __future__ import annotations

import base64
import ipaddress
import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.conftest import SimFactory, sample
from tests.simulator.helpers import (
    capture,
    client,
    logged_in,
    recorded_error,
    seed_json_after,
    seed_text,
    shape_differences,
)

LEGACY = "1.15.0"
CURRENT = "24.36.2 46990655"
FOOGOD = "vlo-21.39.1-foogod"
NOTE = "require authentication ***"


def operation_mode(http: httpx.Client) -> str:
    body = http.get("/api/operation").json()
    return str(body.get("real_mode", body.get("mode")))


# ---------------------------------------------------------------------- commit
@pytest.mark.parametrize("firmware", [LEGACY, CURRENT])
def test_a_mode_and_reserve_write_takes_effect_only_when_committed(
    sim_factory: SimFactory, firmware: str
) -> None:
    assert "Setting a value is not sufficient to make the change" in seed_text()
    assert "Once a value is changed and committed it is immediately in effect" in seed_text()
    sim = sim_factory(firmware=firmware, allow_writes=True)
    with logged_in(sim) as http:
        posted = http.post("/api/operation", json={"mode": "backup", "backup_reserve_percent": 80})
        assert posted.status_code == 200
        assert posted.json()["backup_reserve_percent"] == 80  # the seed's POST echoes the values
        sim.advance(60)
        assert operation_mode(http) == "self_consumption"
        assert http.get("/api/operation").json()["backup_reserve_percent"] == 24
        assert sim.state()["mode"] == "self_consumption"
        assert http.get("/api/config/completed").status_code in (200, 202)
        assert operation_mode(http) == "backup"
        assert http.get("/api/operation").json()["backup_reserve_percent"] == 80
    assert sim.state()["mode"] == "backup"


def test_two_writes_before_one_commit_combine(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware=LEGACY)
    with logged_in(sim) as http:
        http.post("/api/operation", json={"mode": "backup"})
        http.post("/api/operation", json={"backup_reserve_percent": 50})
        http.get("/api/config/completed")
        assert http.get("/api/operation").json() == {"mode": "backup", "backup_reserve_percent": 50}


# ---------------------------------------------------------------------- autonomous on 1.15
def test_firmware_1_15_refuses_autonomous_with_a_server_error(sim_factory: SimFactory) -> None:
    assert "the api to configure autonomous via POST produces 50x" in seed_text()
    sim = sim_factory(firmware=LEGACY)
    with logged_in(sim) as http:
        refused = http.post("/api/operation", json={"mode": "autonomous"})
        assert 500 <= refused.status_code < 600
        assert refused.content == b""  # the seed quotes no body; none is made up
        http.get("/api/config/completed")
        assert operation_mode(http) == "self_consumption"


def test_later_firmware_takes_autonomous(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.50.1 c58c2df3")
    with logged_in(sim) as http:
        assert http.post("/api/operation", json={"mode": "autonomous"}).status_code == 200
        http.get("/api/config/completed")
        assert operation_mode(http) == "autonomous"


# ---------------------------------------------------------------------- 1.15 tokens
def seed_reads() -> tuple[set[str], set[str]]:
    """The GET paths the seed lists before its "require authentication" note, and after it."""
    text = seed_text()
    note = text.index(NOTE)
    before = set(re.findall(r"GET (/api/[\w/%]+)", text[:note]))
    after = set(re.findall(r"GET (?:& POST )?(/api/[\w/%]+)", text[note:])) - before
    actions = {"/api/logout", "/api/sitemaster/stop", "/api/sitemaster/run"}
    return before - actions, after


def test_the_seed_lists_what_this_test_reads() -> None:
    open_reads, protected = seed_reads()
    assert "/api/meters/aggregates" in open_reads
    assert "/api/config/completed" in open_reads
    assert {"/api/meters/readings", "/api/operation", "/api/system/testing"} <= protected
    assert len(open_reads) == 12
    assert len(protected) == 18


@pytest.mark.parametrize("path", sorted(seed_reads()[0]))
def test_firmware_1_15_answers_the_open_reads_without_a_token(
    sim_factory: SimFactory, path: str
) -> None:
    sim = sim_factory(firmware=LEGACY)
    with client(sim) as http:
        assert http.get(path).status_code in (200, 202)


@pytest.mark.parametrize("path", sorted(seed_reads()[1]))
def test_firmware_1_15_wants_a_token_for_the_reads_after_the_seeds_note(
    sim_factory: SimFactory, path: str
) -> None:
    sim = sim_factory(firmware=LEGACY)
    with client(sim) as http:
        refused = http.get(path)
    assert refused.status_code == 401
    assert set(refused.json()) == {"code", "error", "message"}
    with logged_in(sim) as http:
        assert http.get(path).status_code in (200, 409)  # 409: powerwalls/status, below


def test_firmware_1_15_writes_want_a_token(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware=LEGACY)
    with client(sim) as http:
        assert http.post("/api/operation", json={"mode": "backup"}).status_code == 401
        assert http.post("/api/site_info/site_name", json={"site_name": "x"}).status_code == 401


def test_firmware_1_15_unknown_paths_are_404_without_a_token(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware=LEGACY)
    with client(sim) as http:
        assert http.get("/api/system_status").status_code == 404  # not on 1.x; no login needed


# ---------------------------------------------------------------------- the site master
@pytest.mark.parametrize(("firmware", "method"), [(LEGACY, "GET"), (CURRENT, "POST")])
def test_unable_to_stop_sitemaster_as_the_seed_reports_it(
    sim_factory: SimFactory, firmware: str, method: str
) -> None:
    seed_body = seed_json_after("returns HTTP Status 500 if powerwall cannot be stopped")
    assert seed_body == {
        "code": 500,
        "error": "Cannot Start Wizard",
        "message": "Unable to stop sitemaster",
    }
    sim = sim_factory(firmware=firmware)
    sim.set_fault("unable-to-stop")
    with logged_in(sim) as http:
        refused = http.request(method, "/api/sitemaster/stop", json={"force": True})
        assert refused.status_code == 500
        assert refused.json() == seed_body
        assert http.get("/api/sitemaster").json()["running"] is True
        sim.clear_faults()
        assert http.request(method, "/api/sitemaster/stop", json={"force": True}).status_code == 202
        assert http.get("/api/sitemaster").json()["running"] is False


def test_unable_to_stop_as_a_scenario(sim_factory: SimFactory) -> None:
    sim = sim_factory(scenarios=("unable-to-stop:at=10,duration=20",))
    with logged_in(sim) as http:
        sim.advance(11)
        assert http.post("/api/sitemaster/stop", json={"force": True}).status_code == 500
        sim.advance(20)
        assert http.post("/api/sitemaster/stop", json={"force": True}).status_code == 202


def test_powerwalls_status_is_the_seeds_409_while_the_site_master_runs_on_1_x(
    sim_factory: SimFactory,
) -> None:
    status, headers, body = recorded_error("vlo-1.15-2018", "powerwalls.status.err")
    assert json.loads(body) == seed_json_after("GET /api/powerwalls/status")
    sim = sim_factory(firmware=LEGACY)
    with logged_in(sim) as http:
        running = http.get("/api/powerwalls/status")
        assert (running.status_code, running.content) == (status, body)
        assert running.headers["content-type"] == headers["content-type"]
        http.get("/api/sitemaster/stop")
        assert http.get("/api/powerwalls/status").status_code == 200


def test_powerwalls_status_on_current_firmware_follows_the_site_master(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(firmware="21.44 223a56cd")
    with logged_in(sim) as http:
        assert http.get("/api/powerwalls/status").json() == sample("powerwalls_status.json")
        http.post("/api/sitemaster/stop", json={"force": True})
        stopped = http.get("/api/powerwalls/status").json()
    assert stopped == json.loads(capture(f"{FOOGOD}-stopped", "powerwalls.status.json"))
    assert list(stopped) == list(json.loads(capture(f"{FOOGOD}-stopped", "powerwalls.status.json")))


def test_an_empty_502_carries_the_headers_a_stopped_gateway_sends(
    sim_factory: SimFactory,
) -> None:
    status, headers, body = recorded_error(f"{FOOGOD}-stopped", "meters.aggregates.err")
    sim = sim_factory()
    sim.stop_sitemaster()
    with logged_in(sim) as http:
        response = http.get("/api/meters/aggregates")
    assert (response.status_code, response.content) == (status, body)
    assert set(response.headers) == set(headers)  # cache-control, content-length, date


# ---------------------------------------------------------------------- plain HTTP
def test_firmware_1_15_answers_plain_http_as_in_the_seeds_examples(
    sim_factory: SimFactory,
) -> None:
    assert "curl http://192.168.xxx.xxx/api/system_status/soe" in seed_text()
    sim = sim_factory(firmware=LEGACY, plain_http=True)
    assert sim.http_url.startswith("http://127.0.0.1:")
    with httpx.Client(base_url=sim.http_url, timeout=10) as http:
        assert set(http.get("/api/system_status/soe").json()) == {"percentage"}
        token = http.post(
            "/api/login/Basic", json={"username": "", "password": "S" + sim.config.serial}
        ).json()["token"]
        http.headers["Authorization"] = f"Bearer {token}"
        assert http.get("/api/sitemaster/run").status_code == 202
    assert {r.connection for r in sim.requests()}  # the same request log for both listeners


def test_later_firmware_sends_plain_http_to_https(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.50.1 c58c2df3", plain_http=True)
    with httpx.Client(base_url=sim.http_url, timeout=10) as http:
        moved = http.get("/api/system_status/soe")
    assert moved.status_code == 301
    assert moved.headers["location"] == f"{sim.base_url}/api/system_status/soe"


def test_without_plain_http_there_is_no_http_port(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware=LEGACY)
    with pytest.raises(RuntimeError, match="plain_http"):
        _ = sim.http_url


def test_cli_http_prints_both_listeners(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "pwtray.simulator.cli",
            *["--port", "0", "--http", "--firmware", LEGACY, "--cert-dir", str(tmp_path)],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        process.stdout.readline()
        line = process.stdout.readline().strip()
        match = re.fullmatch(r"listening on (http://127\.0\.0\.1:\d+) \(plain HTTP\)", line)
        assert match, line
        assert httpx.get(f"{match[1]}/api/status", timeout=10).json()["version"] == "1.15.0\n"
    finally:
        process.terminate()
        process.communicate(timeout=10)


# ---------------------------------------------------------------------- meters
def non_zero(meters: dict[str, dict[str, float]], key: str) -> dict[str, bool]:
    return {name: bool(meter[key]) for name, meter in meters.items()}


@pytest.mark.parametrize(
    ("firmware", "set_name"),
    [(LEGACY, "vlo-1.15-2018"), ("1.50.1 c58c2df3", "jrester-de-1.50"), ("21.39.1", FOOGOD)],
)
def test_aggregates_carry_frequency_voltage_and_busway_where_real_ones_do(
    sim_factory: SimFactory, firmware: str, set_name: str
) -> None:
    real = json.loads(capture(set_name, "meters.aggregates.json"))
    sim = sim_factory(firmware=firmware)
    with logged_in(sim) as http:
        if sim.identity.legacy:
            http.get("/api/sitemaster/run")
        simulated = http.get("/api/meters/aggregates").json()
    assert set(simulated) == set(real)
    for name in real:
        assert shape_differences(real[name], simulated[name]) == [], name
    assert non_zero(simulated, "frequency") == non_zero(real, "frequency")
    assert non_zero(simulated, "instant_average_voltage") == non_zero(
        real, "instant_average_voltage"
    )


def test_firmware_1_15_meter_readings_match_the_seed(sim_factory: SimFactory) -> None:
    seed = seed_json_after("GET /api/meters/readings")
    sim = sim_factory(firmware=LEGACY)
    with logged_in(sim) as http:
        readings = http.get("/api/meters/readings").json()
    (meter,) = readings.values()
    (seed_meter,) = seed.values()
    assert shape_differences(seed_meter, meter) == []
    assert meter["data"]["f_Hz"] == pytest.approx(60, abs=0.1)
    assert [ct["ct"] for ct in meter["data"]["cts"]] == [1, 2, 3, 4]
    assert all(110 < ct["v_V"] < 130 for ct in meter["data"]["cts"])
    site_w = sum(ct["p_W"] for ct in meter["data"]["cts"][:2])
    assert site_w == pytest.approx(sim.state()["site_w"], abs=1)


def test_current_meter_readings_are_withheld_while_the_site_master_runs(
    sim_factory: SimFactory,
) -> None:
    running = json.loads(capture(FOOGOD, "meters.readings.json"))
    stopped = json.loads(capture(f"{FOOGOD}-stopped", "meters.readings.json"))
    sim = sim_factory(firmware="21.39.1 7759c368")
    with logged_in(sim) as http:
        withheld = http.get("/api/meters/readings").json()
        http.post("/api/sitemaster/stop", json={"force": True})
        sim.set_state(load_w=900)
        sim.advance(10)
        live = http.get("/api/meters/readings").json()
    assert [m["error"] for m in withheld.values()] == [m["error"] for m in running.values()]
    assert [m["data"] for m in withheld.values()] == [m["data"] for m in running.values()]
    assert [name[-13:] for name in live] == list(stopped)  # …synchrometerX, …synchrometerY
    for real, simulated in zip(stopped.values(), live.values(), strict=True):
        assert shape_differences(real, simulated) == []
        assert [bool(ct["v_V"]) for ct in simulated["data"]["cts"]] == [
            bool(ct["v_V"]) for ct in real["data"]["cts"]
        ]
        assert [ct["ct"] for ct in simulated["data"]["cts"]] == [
            ct["ct"] for ct in real["data"]["cts"]
        ]
    site_x = live[f"{sim.config.serial}synchrometerX"]["data"]["cts"]
    assert site_x[0]["p_W"] + site_x[1]["p_W"] == pytest.approx(900 + 2, abs=2)


def test_meters_solar_is_null_on_a_site_without_solar_meters(sim_factory: SimFactory) -> None:
    real = capture("pypowerwall-23.28-bogus", "meters.solar.json")
    sim = sim_factory(firmware="23.28.2 27626f98", solar_meter=False)
    with logged_in(sim) as http:
        response = http.get("/api/meters/solar")
    assert (response.status_code, response.content) == (200, real)


# ---------------------------------------------------------------------- networks
def test_networks_on_firmware_23_have_go_ip_networks_and_extra_ips(
    sim_factory: SimFactory,
) -> None:
    real = json.loads(capture("pypowerwall-23.28-bogus", "networks.json"))
    sim = sim_factory(firmware="23.28.2 27626f98")
    with logged_in(sim) as http:
        simulated = http.get("/api/networks").json()
    by_name = {n["network_name"]: n for n in simulated}
    for entry in real:  # the Ethernet and cellular entries, key for key and in order
        ours = by_name[entry["network_name"]]
        assert shape_differences(entry, ours) == []
        assert list(ours) == list(entry)
        assert (
            ours["iface_network_info"]["ip_networks"] == entry["iface_network_info"]["ip_networks"]
        )
    assert by_name["ethernet_tesla_internal_default"]["extra_ips"] == real[0]["extra_ips"]
    wifi = by_name["HomeWiFi"]["iface_network_info"]["ip_networks"][0]
    mask = ipaddress.IPv4Address(base64.b64decode(wifi["Mask"]))
    assert str(mask) == "255.255.255.0"


def test_networks_before_firmware_23_keep_the_21_39_shape(sim_factory: SimFactory) -> None:
    real = json.loads(capture(FOOGOD, "networks.json"))
    sim = sim_factory(firmware="21.39.1 7759c368")
    with logged_in(sim) as http:
        simulated = http.get("/api/networks").json()
    for entry, ours in zip(real, simulated, strict=True):
        assert shape_differences(entry, ours) == []
