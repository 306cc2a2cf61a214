"""Decoders: real captures decode; anything else is a model or a GatewayProtocolError."""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pwtray.gateway import GatewayProtocolError, GridState, decode
from pwtray.gateway import _models as m
from tests.conftest import SETS, sample

DECODERS: dict[str, Any] = {
    "/api/meters/aggregates": m.MetersAggregates,
    "/api/system_status/soe": m.Soe,
    "/api/system_status/grid_status": m.GridStatus,
    "/api/system_status/grid_faults": list[m.GridFault],
    "/api/system_status": m.SystemStatus,
    "/api/sitemaster": m.SiteMaster,
    "/api/status": m.Status,
    "/api/powerwalls": m.Powerwalls,
    "/api/powerwalls/status": m.PowerwallsStatus,
    "/api/operation": m.Operation,
    "/api/site_info": m.SiteInfo,
    "/api/site_info/site_name": m.SiteName,
    "/api/customer/registration": m.Registration,
    "/api/system/update/status": m.UpdateStatus,
    "/api/site_info/grid_codes": list[m.GridCode],
    "/api/solars": list[m.Solar],
    "/api/solars/brands": list[str],
    "/api/generators": m.Generators,
    "/api/customer": m.Customer,
    "/api/config": m.GatewayConfig,
    "/api/meters": list[m.MeterDevice],
    "/api/meters/readings": dict[str, m.MeterReading],
    "/api/meters/site": list[m.SiteMeter],
    "/api/installer": m.Installer,
    "/api/networks": list[m.Network],
    "/api/system/networks": list[m.SystemNetwork],
    "/api/system/networks/conn_tests": m.ConnTests,
    "/api/system/testing": m.SystemTesting,
    "/api/troubleshooting/problems": m.Problems,
    "/api/auth/toggle/supported": m.AuthToggle,
    "/api/v2/islanding/mode": m.IslandMode,
    "/api/login/Basic": m.Login,
}

CAPTURES = [
    ("/api/meters/aggregates", "meters_aggregates.json"),
    ("/api/system_status/soe", "system_status_soe.json"),
    ("/api/system_status/grid_status", "system_status_grid_status.json"),
    ("/api/system_status/grid_status", "system_status_grid_status_islanded.json"),
    ("/api/system_status/grid_status", "system_status_grid_status_transition.json"),
    ("/api/system_status/grid_faults", "system_status_grid_faults.json"),
    ("/api/system_status", "system_status.json"),
    ("/api/system_status", "system_status_multi_battery.json"),
    ("/api/sitemaster", "sitemaster.json"),
    ("/api/sitemaster", "sitemaster_stopped.json"),
    ("/api/status", "status.json"),
    ("/api/status", "status_23x.json"),
    ("/api/powerwalls", "powerwalls.json"),
    ("/api/powerwalls/status", "powerwalls_status.json"),
    ("/api/operation", "operation.json"),
    ("/api/operation", "operation_self_consumption.json"),
    ("/api/site_info", "site_info.json"),
    ("/api/site_info/site_name", "site_info_site_name.json"),
    ("/api/customer/registration", "customer_registration.json"),
    ("/api/system/update/status", "system_update_status.json"),
    ("/api/meters/site", "meters_site.json"),
    ("/api/meters/site", "meters_solar.json"),
    ("/api/networks", "networks.json"),
    ("/api/troubleshooting/problems", "troubleshooting_problems.json"),
    ("/api/auth/toggle/supported", "auth_toggle_supported.json"),
    ("/api/login/Basic", "login_basic.json"),
]


@pytest.mark.parametrize(("endpoint", "name"), CAPTURES)
def test_real_captures_decode(endpoint: str, name: str) -> None:
    decode(endpoint, json.dumps(sample(name)).encode(), DECODERS[endpoint])


def test_captured_values_come_through() -> None:
    meters = decode(
        "/api/meters/aggregates",
        json.dumps(sample("meters_aggregates.json")).encode(),
        m.MetersAggregates,
    )
    assert meters.site.instant_power == 72  # an integer on the wire
    assert meters.battery.energy_exported == 567740
    assert meters.load.num_meters_aggregated is None
    multi = json.dumps(sample("system_status_multi_battery.json")).encode()
    system = decode("/api/system_status", multi, m.SystemStatus)
    disabled = [b for b in system.battery_blocks if b.disabled_reasons]
    assert disabled[0].p_out is None  # a disabled block reports nulls
    assert system.grid_faults[0].alert_name == "PINV_a008_vfCheckRocof"
    status = decode("/api/status", json.dumps(sample("status.json")).encode(), m.Status)
    assert status.firmware == "21.44"
    assert not status.legacy
    legacy = decode("/api/status", b'{"version":"1.15.0\\n","git_hash":"x\\n"}', m.Status)
    assert legacy.firmware == "1.15.0"
    assert legacy.legacy
    self_powered = json.dumps(sample("operation_self_consumption.json")).encode()
    operation = decode("/api/operation", self_powered, m.Operation)
    assert operation.reserve_app_percent == pytest.approx(0, abs=0.01)
    assert (
        decode("/api/operation", b'{"mode":"backup","backup_reserve_percent":15}', m.Operation).mode
        == "backup"
    )


@pytest.mark.parametrize(
    ("value", "state"),
    [
        ("SystemGridConnected", GridState.CONNECTED),
        ("SystemIslandedActive", GridState.ISLANDED),
        ("SystemIslandedReady", GridState.ISLANDED_READY),
        ("SystemTransitionToGrid", GridState.TRANSITION_TO_GRID),
        ("SystemTransitionToIsland", GridState.TRANSITION_TO_ISLAND),
        ("SystemWaitForUser", GridState.WAIT_FOR_USER),
        ("SystemMicroGridFaulted", GridState.MICROGRID_FAULTED),
        ("SystemSomethingNew", GridState.UNKNOWN),
    ],
)
def test_every_grid_state_and_an_unknown_one(value: str, state: GridState) -> None:
    status = decode(
        "/api/system_status/grid_status", json.dumps({"grid_status": value}).encode(), m.GridStatus
    )
    assert status.state is state


def test_a_missing_field_names_its_json_path() -> None:
    body = sample("meters_aggregates.json")
    del body["battery"]["instant_power"]
    with pytest.raises(GatewayProtocolError) as caught:
        decode("/api/meters/aggregates", json.dumps(body).encode(), m.MetersAggregates)
    assert caught.value.endpoint == "/api/meters/aggregates"
    assert caught.value.path == "$.battery"
    assert "instant_power" in caught.value.problem


def test_a_wrong_type_names_its_json_path() -> None:
    with pytest.raises(GatewayProtocolError) as caught:
        decode("/api/system_status/soe", b'{"percentage":"full"}', m.Soe)
    assert caught.value.path == "$.percentage"
    assert "Expected `float`, got `str`" in str(caught.value)


def test_operation_needs_a_mode() -> None:
    with pytest.raises(GatewayProtocolError, match="real_mode"):
        decode("/api/operation", b'{"backup_reserve_percent":20}', m.Operation)


def test_empty_and_html_bodies() -> None:
    with pytest.raises(GatewayProtocolError, match="empty reply"):
        decode("/api/system_status/soe", b"", m.Soe)
    with pytest.raises(GatewayProtocolError, match="not valid JSON"):
        decode("/api/system_status/soe", b"<html><body>502 Bad Gateway</body></html>", m.Soe)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(endpoint=st.sampled_from(sorted(DECODERS)), body=st.binary(max_size=200))
def test_arbitrary_bytes_give_a_model_or_a_protocol_error(endpoint: str, body: bytes) -> None:
    try:
        decode(endpoint, body, DECODERS[endpoint])
    except GatewayProtocolError as exc:
        error = exc
    else:
        return
    assert error.endpoint == endpoint


@settings(max_examples=500, deadline=None)
@given(endpoint=st.sampled_from(sorted(DECODERS)), value=json_values)
def test_arbitrary_json_gives_a_model_or_a_protocol_error(endpoint: str, value: Any) -> None:
    try:
        decode(endpoint, json.dumps(value).encode(), DECODERS[endpoint])
    except GatewayProtocolError as exc:
        error = exc
    else:
        return
    assert error.path.startswith("$")


@settings(max_examples=300, deadline=None)
@given(
    endpoint=st.sampled_from([e for e, _ in CAPTURES]),
    data=st.data(),
)
def test_captures_with_a_field_replaced_give_a_model_or_a_protocol_error(
    endpoint: str, data: st.DataObject
) -> None:
    names = [n for e, n in CAPTURES if e == endpoint]
    body = sample(data.draw(st.sampled_from(names)))
    if isinstance(body, dict) and body:
        key = data.draw(st.sampled_from(sorted(body)))
        body[key] = data.draw(json_values)
    with contextlib.suppress(GatewayProtocolError):
        decode(endpoint, json.dumps(body).encode(), DECODERS[endpoint])


# ---------------------------------------------------------------------- every capture, all sets
MALFORMED_CAPTURES = {("pypowerwall-23.28-bogus", "solars.brands.json")}  # truncated (SOURCES.md)


def set_captures() -> list[tuple[str, str]]:
    found = []
    for file in sorted(SETS.glob("*/*.json")):
        endpoint = "/api/" + file.name.removesuffix(".json").removesuffix(".synthetic")
        endpoint = endpoint.replace(".", "/")
        if endpoint in DECODERS and (file.parent.name, file.name) not in MALFORMED_CAPTURES:
            found.append((endpoint, f"{file.parent.name}/{file.name}"))
    return found


def test_every_capture_of_every_set_decodes_within_the_range_checks() -> None:
    captures = set_captures()
    assert len(captures) > 100  # the sets are there and were found
    for endpoint, name in captures:
        decode(endpoint, (SETS / name).read_bytes(), DECODERS[endpoint])


@pytest.mark.parametrize(
    ("endpoint", "model", "body", "path"),
    [
        ("/api/system_status/soe", m.Soe, {"percentage": 101.5}, "$.percentage"),
        ("/api/system_status/soe", m.Soe, {"percentage": -0.1}, "$.percentage"),
        (
            "/api/operation",
            m.Operation,
            {"real_mode": "backup", "backup_reserve_percent": 100.5},
            "$.backup_reserve_percent",
        ),
        (
            "/api/system_status/grid_faults",
            list[m.GridFault],
            [{"timestamp": 4_102_444_800_001, "alert_name": "x"}],
            "$[0].timestamp",
        ),
        (
            "/api/system_status/grid_faults",
            list[m.GridFault],
            [{"timestamp": -1, "alert_name": "x"}],
            "$[0].timestamp",
        ),
        (
            "/api/site_info",
            m.SiteInfo,
            {"site_name": "x", "nominal_system_energy_kWh": 1e5},
            "$.nominal_system_energy_kWh",
        ),
    ],
)
def test_values_just_outside_the_ranges(endpoint: str, model: Any, body: Any, path: str) -> None:
    with pytest.raises(GatewayProtocolError) as caught:
        decode(endpoint, json.dumps(body).encode(), model)
    assert caught.value.path == path
    assert caught.value.problem.startswith("a value out of range (must be ")


def test_values_at_the_edges_of_the_ranges() -> None:
    meters = sample("meters_aggregates.json")
    meters["site"]["instant_power"] = -1e6
    meters["solar"]["instant_power"] = 1e6
    meters["load"]["energy_imported"] = 1e11
    decode("/api/meters/aggregates", json.dumps(meters).encode(), m.MetersAggregates)
    assert decode("/api/system_status/soe", b'{"percentage": 101}', m.Soe).percentage == 101
    assert decode("/api/system_status/soe", b'{"percentage": 0}', m.Soe).percentage == 0
    meters["site"]["instant_power"] = -1.0000001e6
    with pytest.raises(GatewayProtocolError, match=r"must be at least -1000000\.0"):
        decode("/api/meters/aggregates", json.dumps(meters).encode(), m.MetersAggregates)
    site = sample("site_info.json")
    site["max_site_meter_power_kW"] = 1e9  # what gateways send to mean "no limit"
    decode("/api/site_info", json.dumps(site).encode(), m.SiteInfo)


def test_networks_on_firmware_23_show_their_addresses() -> None:
    # 23.x sends "IP"/"Mask" (base64) and leaves IP empty; the address is in extra_ips.
    body = (SETS / "pypowerwall-23.28-bogus" / "networks.json").read_bytes()
    networks = {n.label: n for n in decode("/api/networks", body, list[m.Network])}
    ethernet = networks["ethernet_tesla_internal_default"]
    assert ethernet.addresses == [f"{json.loads(body)[0]['extra_ips'][0]['ip']}/24"]
    assert networks["gsm_tesla_internal_default"].addresses == []  # no address: none made up


def test_older_networks_keep_their_dotted_masks() -> None:
    networks = decode(
        "/api/networks", json.dumps(sample("networks.json")).encode(), list[m.Network]
    )
    shown = [a for n in networks for a in n.addresses]
    assert shown
    assert all("/" in a for a in shown)  # every address with its prefix
