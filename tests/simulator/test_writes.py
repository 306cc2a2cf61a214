"""Writes: operation mode and reserve, config/completed, off-grid, site master stop/run."""

from __future__ import annotations

import datetime as dt

from tests.conftest import SimFactory
from tests.simulator.helpers import logged_in

NIGHT = dt.datetime(2026, 1, 15, 22, 0, tzinfo=dt.UTC)


def test_current_firmware_refuses_operation_writes_to_a_customer(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        before = http.get("/api/operation").json()
        response = http.post(
            "/api/operation", json={"real_mode": "backup", "backup_reserve_percent": 80}
        )
        assert response.status_code == 403
        assert response.json()["message"] == "User does not have adequate access rights"
        assert http.get("/api/operation").json() == before


def test_current_firmware_with_writes_allowed(sim_factory: SimFactory) -> None:
    sim = sim_factory(allow_writes=True)
    with logged_in(sim) as http:
        response = http.post(
            "/api/operation", json={"real_mode": "backup", "backup_reserve_percent": 80}
        )
        assert response.status_code == 200
        completed = http.get("/api/config/completed")
        assert completed.status_code == 200
        assert completed.json()["commission_count"] == 12  # returns /api/status, counter +1
        operation = http.get("/api/operation").json()
    assert operation["real_mode"] == "backup"
    assert operation["backup_reserve_percent"] == 80


def test_legacy_operation_write_changes_how_the_battery_behaves(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0", start=NIGHT, soe_percent=80)
    with logged_in(sim) as http:
        sim.advance(60)
        discharging = http.get("/api/meters/aggregates").json()["battery"]["instant_power"]
        assert discharging > 100  # self-powered at night: the battery runs the house
        response = http.post(
            "/api/operation", json={"mode": "backup", "backup_reserve_percent": 100}
        )
        assert response.status_code == 200
        assert response.json() == {"mode": "backup", "backup_reserve_percent": 100}
        assert http.get("/api/config/completed").status_code == 202
        sim.advance(60)
        battery = http.get("/api/meters/aggregates").json()["battery"]["instant_power"]
        assert battery <= 0  # backup-only keeps the charge for an outage
        assert http.get("/api/operation").json()["mode"] == "backup"


def test_invalid_operation_values_are_rejected(sim_factory: SimFactory) -> None:
    sim = sim_factory(firmware="1.15.0")
    with logged_in(sim) as http:
        assert http.post("/api/operation", json={"mode": "party"}).status_code == 400
        assert http.post("/api/operation", json={"backup_reserve_percent": 140}).status_code == 400


def test_go_off_grid_and_reconnect(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        answer = http.post(
            "/api/v2/islanding/mode", json={"island_mode": "intentional_reconnect_failsafe"}
        )
        assert answer.json() == {"island_mode": "intentional_reconnect_failsafe"}
        states = [http.get("/api/system_status/grid_status").json()["grid_status"]]
        sim.advance(5)
        states.append(http.get("/api/system_status/grid_status").json()["grid_status"])
        assert http.get("/api/meters/aggregates").json()["site"]["instant_power"] == 0
        http.post("/api/v2/islanding/mode", json={"island_mode": "backup"})
        states.append(http.get("/api/system_status/grid_status").json()["grid_status"])
        sim.advance(10)
        states.append(http.get("/api/system_status/grid_status").json()["grid_status"])
    assert states == [
        "SystemTransitionToIsland",
        "SystemIslandedActive",
        "SystemTransitionToGrid",
        "SystemGridConnected",
    ]


def test_sitemaster_stop_gives_502_with_empty_body_where_real_gateways_do(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        assert http.post("/api/sitemaster/stop", json={"force": True}).status_code == 202
        for path in (
            "/api/meters/aggregates",
            "/api/system_status/soe",
            "/api/system_status/grid_status",
            "/api/system_status",
            "/api/system_status/grid_faults",
        ):
            response = http.get(path)
            assert (response.status_code, response.content) == (502, b""), path
        assert http.get("/api/sitemaster").json() == {
            "status": "StatusDown",
            "running": False,
            "connected_to_tesla": True,
            "power_supply_mode": False,
            "can_reboot": "",
        }
        assert http.get("/api/status").status_code == 200
        assert http.get("/api/operation").status_code == 200
        assert http.get("/api/sitemaster/run").status_code == 202
        assert http.get("/api/system_status/soe").status_code == 200


def test_sitemaster_stop_needs_force_when_power_flow_is_high(sim_factory: SimFactory) -> None:
    sim = sim_factory(start=NIGHT, soe_percent=90)
    sim.set_state(load_w=4600)
    sim.advance(10)
    with logged_in(sim) as http:
        assert http.get("/api/sitemaster").json()["can_reboot"] == "Power flow is too high"
        assert http.post("/api/sitemaster/stop", json={}).status_code == 412
        assert http.post("/api/sitemaster/stop", json={"force": True}).status_code == 202


def test_site_name_can_be_changed(sim_factory: SimFactory) -> None:
    sim = sim_factory()
    with logged_in(sim) as http:
        assert http.post("/api/site_info/site_name", json={"site_name": "Cabin"}).status_code == 200
        assert http.get("/api/site_info").json()["site_name"] == "Cabin"
