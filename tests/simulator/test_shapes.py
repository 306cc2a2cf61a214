"""Every endpoint answers with the field names and JSON types real gateways send."""

from __future__ import annotations

import pytest

from tests.conftest import SimFactory, sample
from tests.simulator.helpers import client, logged_in, login, shape_differences

FW_21 = "21.44 223a56cd"

# endpoint -> sample captured from a 21.44 gateway (or a peer's fixture of the same endpoint)
CURRENT_SAMPLES = {
    "/api/meters/aggregates": "meters_aggregates.json",
    "/api/system_status/soe": "system_status_soe.json",
    "/api/system_status/grid_status": "system_status_grid_status.json",
    "/api/sitemaster": "sitemaster.json",
    "/api/status": "status.json",
    "/api/site_info": "site_info.json",
    "/api/site_info/site_name": "site_info_site_name.json",
    "/api/powerwalls": "powerwalls.json",
    "/api/powerwalls/status": "powerwalls_status.json",
    "/api/operation": "operation.json",
    "/api/networks": "networks.json",
    "/api/system_status": "system_status.json",
    "/api/system/update/status": "system_update_status.json",
    "/api/system_status/grid_faults": "system_status_grid_faults.json",
    "/api/troubleshooting/problems": "troubleshooting_problems.json",
    "/api/customer/registration": "customer_registration.json",
    "/api/meters/site": "meters_site.json",
    "/api/meters/solar": "meters_solar.json",
    "/api/auth/toggle/supported": "auth_toggle_supported.json",
}


@pytest.mark.parametrize(("path", "sample_name"), sorted(CURRENT_SAMPLES.items()))
def test_current_firmware_matches_21_44_captures(
    sim_factory: SimFactory, path: str, sample_name: str
) -> None:
    sim = sim_factory(firmware=FW_21)
    with logged_in(sim) as http:
        response = http.get(path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-cache, no-store"
    assert shape_differences(sample(sample_name), response.json()) == []


def test_firmware_23_status_has_the_newer_keys(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="23.44.0 9064fc6a")
    with logged_in(sim) as http:
        body = http.get("/api/status").json()
    assert shape_differences(sample("status_23x.json"), body) == []
    assert body["version"] == "23.44.0 9064fc6a"


def test_login_response_matches_capture(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with client(sim) as http:
        response = login(http)
    body = response.json()
    assert shape_differences(sample("login_basic.json"), body) == []
    assert len(body["token"]) == 88
    assert body["token"].endswith("==")
    assert body["roles"] == ["Home_Owner"]


def test_grid_faults_after_an_outage_match_a_real_fault_entry(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware=FW_21)
    sim.grid_down()
    with logged_in(sim) as http:
        faults = http.get("/api/system_status/grid_faults").json()
        status = http.get("/api/system_status").json()
    real_fault = sample("system_status_multi_battery.json")["grid_faults"][0]
    assert len(faults) == 1
    assert shape_differences(real_fault, faults[0]) == []
    assert status["grid_faults"] == faults
    assert isinstance(faults[0]["decoded_alert"], str)  # a JSON string, as gateways send it


def test_battery_blocks_follow_the_powerwall_count(sim_factory: SimFactory) -> None:
    sim = sim_factory(powerwalls=3)
    with logged_in(sim) as http:
        status = http.get("/api/system_status").json()
        powerwalls = http.get("/api/powerwalls").json()
    assert len(status["battery_blocks"]) == 3
    assert status["available_blocks"] == 3
    assert sum(b["nominal_full_pack_energy"] for b in status["battery_blocks"]) == pytest.approx(
        status["nominal_full_pack_energy"], abs=3
    )
    serials = [p["PackageSerialNumber"] for p in powerwalls["powerwalls"]]
    assert len(set(serials)) == 3


# ---------------------------------------------------------------------- firmware 1.15
LEGACY_SEED_SAMPLES = {
    "/api/system_status/soe": {"percentage": 69.1675560298826},
    "/api/sitemaster": {"running": True, "uptime": "166594s,", "connected_to_tesla": True},
    "/api/powerwalls": {
        "powerwalls": [{"PackagePartNumber": "1092170-03-E", "PackageSerialNumber": "T1234567890"}],
        "has_sync": True,
    },
    "/api/customer/registration": {
        "privacy_notice": True,
        "limited_warranty": True,
        "grid_services": None,
        "marketing": None,
        "registered": True,
        "emailed_registration": True,
        "skipped_registration": False,
        "timed_out_registration": False,
    },
    "/api/system_status/grid_status": {"grid_status": "SystemGridConnected"},
    "/api/system/update/status": {
        "state": "/update_failed",
        "info": {"status": ["nonactionable"]},
        "current_time": 1422697552910,
    },
    "/api/site_info": {
        "site_name": "Home Energy Gateway",
        "timezone": "America/Los_Angeles",
        "min_site_meter_power_kW": -1000000000,
        "max_site_meter_power_kW": 1000000000,
        "nominal_system_energy_kWh": 13.5,
        "grid_code": "60Hz_240V_s_UL1741SA:2016_California",
        "grid_voltage_setting": 240,
        "grid_freq_setting": 60,
        "grid_phase_setting": "Split",
        "country": "United States",
        "state": "California",
        "region": "UL1741SA",
    },
    "/api/site_info/site_name": {
        "site_name": "Home Energy Gateway",
        "timezone": "America/Los_Angeles",
    },
    "/api/status": {
        "start_time": "2018-03-16 19:08:46 +0800",
        "up_time_seconds": "402h8m19.937911668s",
        "is_new": False,
        "version": "1.15.0\n",
        "git_hash": "dc337851c6cad15a7e9c7223d60fff719eb8da4d\n",
    },
    "/api/system_status/grid_faults": [],
    "/api/solars": [
        {
            "brand": "SolarEdge Technologies",
            "model": "SE5000 (240V) w/ -ER-US or A-US",
            "power_rating_watts": 6000,
        }
    ],
    "/api/generators": {"disconnect_type": "None", "generators": []},
    "/api/customer": {
        "city": "New York",
        "state": "New York ",
        "zip": "10010",
        "country": "US",
        "registered": True,
        "privacy_notice": True,
        "limited_warranty": True,
        "emailed_registration": True,
    },
    "/api/config": {"vin": "0123456-00-E--T1234567890"},
    "/api/generators/disconnect_types": ["DownstreamATS"],
    "/api/operation": {"mode": "self_consumption", "backup_reserve_percent": 15},
    "/api/networks/wifi_security_types": ["NONE", "WEP", "WPAorWPA2_Personal"],
}
LEGACY_OPEN = {
    "/api/system_status/soe",
    "/api/sitemaster",
    "/api/powerwalls",
    "/api/status",
    "/api/customer/registration",
    "/api/system_status/grid_status",
    "/api/system/update/status",
    "/api/site_info",
    "/api/site_info/site_name",
    "/api/system_status/grid_faults",
}


@pytest.mark.parametrize(("path", "seed_body"), sorted(LEGACY_SEED_SAMPLES.items()))
def test_firmware_1_15_matches_the_seed_document(
    sim_factory: SimFactory, path: str, seed_body: object
) -> None:
    sim = sim_factory(firmware="1.15.0")
    with logged_in(sim) as http:
        response = http.get(path)
    assert response.status_code == 200
    assert shape_differences(seed_body, response.json()) == []


@pytest.mark.parametrize("path", sorted(LEGACY_OPEN))
def test_firmware_1_15_reads_need_no_login(sim_factory: SimFactory, path: str) -> None:
    sim = sim_factory(firmware="1.15.0")
    with client(sim) as http:
        assert http.get(path).status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/api/operation",
        "/api/solars",
        "/api/customer",
        "/api/config",
        "/api/installer",
        "/api/meters",
        "/api/generators",
        "/api/site_info/grid_codes",
    ],
)
def test_firmware_1_15_protected_reads_need_the_token(sim_factory: SimFactory, path: str) -> None:
    sim = sim_factory(firmware="1.15.0")
    with client(sim) as http:
        response = http.get(path)
    assert response.status_code == 401
    assert set(response.json()) == {"code", "error", "message"}


# ---------------------------------------------------------------------- every seed endpoint
SEED_GETS = [
    "/api/meters/aggregates",
    "/api/system_status/soe",
    "/api/sitemaster",
    "/api/powerwalls",
    "/api/customer/registration",
    "/api/system_status/grid_status",
    "/api/system/update/status",
    "/api/site_info",
    "/api/site_info/site_name",
    "/api/status",
    "/api/system_status/grid_faults",
    "/api/operation",
    "/api/powerwalls/status",
    "/api/site_info/grid_codes",
    "/api/solars",
    "/api/solars/brands",
    "/api/solars/brands/SolarEdge%20Technologies",
    "/api/generators",
    "/api/customer",
    "/api/config",
    "/api/generators/disconnect_types",
    "/api/meters",
    "/api/installer",
    "/api/installer/companies",
    "/api/networks",
    "/api/system/networks",
    "/api/networks/wifi_security_types",
    "/api/meters/readings",
    "/api/system/testing",
]


@pytest.mark.parametrize("firmware", ["1.15.0", "24.36.2 46990655"])
def test_every_seed_endpoint_answers_json(sim_factory: SimFactory, firmware: str) -> None:
    sim = sim_factory(firmware=firmware)
    with logged_in(sim) as http:
        for path in SEED_GETS:
            response = http.get(path)
            expected = 409 if (path == "/api/powerwalls/status" and firmware == "1.15.0") else 200
            assert response.status_code == expected, path
            response.json()
        assert http.post("/api/system/networks/conn_tests").json() == {
            "results": None,
            "timestamp": "0001-01-01T00:00:00Z",
        }
        assert http.get("/api/logout").status_code == 204


def test_solar_brand_models_and_unknown_brand(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        brands = http.get("/api/solars/brands").json()
        assert "SolarEdge Technologies" in brands
        models = http.get("/api/solars/brands/SolarEdge%20Technologies").json()
        assert "SE5000 (240V) w/ -ER-US or A-US" in models
        assert http.get("/api/solars/brands/Nobody").status_code == 404


def test_connectivity_tests_finish_after_a_while(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        assert http.post("/api/system/networks/conn_tests").json()["results"] is None
        sim.advance(3)
        done = http.post("/api/system/networks/conn_tests").json()
    assert done["results"]["Google GET Test"] == {"pass": True, "error": ""}


def test_unknown_and_removed_endpoints(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        assert http.get("/api/devices/vitals").status_code == 404
        assert http.get("/api/nonsense").status_code == 404
        assert http.get("/tedapi/din").status_code == 403
        assert http.get("/api/sitemaster/stop").status_code == 405
