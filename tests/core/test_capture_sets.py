"""Every real capture set, replayed over real TLS through the client, the monitor and
``pwtray status``, compared with the raw JSON it came from: scale of the charge and reserve,
grid state, power signs, mode names, and the capacity rule for multi-unit sites."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pwtray.cli import main
from pwtray.gateway import GridState, OperationMode, api_to_app
from pwtray.monitor import UNIT_ENERGY_WH, Connectivity, Health, Snapshot
from pwtray.simulator import Simulator
from tests.conftest import SETS, SimFactory, samples_dir
from tests.core.helpers import site_for
from tests.gateway.helpers import password_for

SETS_WITH_A_BATTERY = [
    "ha-us-1.x",
    "jrester-de-1.50",
    "pypowerwall-23.28-bogus",
    "pypowerwall-sim-23.44",
    "vlo-1.15-2018",
    "vlo-1.40.2-2019",
    "vlo-21.39.1-foogod",
]


def raw(set_name: str, endpoint: str) -> Any | None:
    """The set's capture of ``endpoint`` (``system_status.soe``…), or None if it has none."""
    folder = samples_dir() / "sets" / set_name
    for name in (f"{endpoint}.json", f"{endpoint}.synthetic.json"):
        if (folder / name).exists():
            return json.loads((folder / name).read_text())
    return None


async def snapshot_of(sim: Simulator) -> tuple[Snapshot, dict[str, Health]]:
    site = site_for(sim)
    try:
        snapshot = await site.commands.refresh()
        return snapshot, dict(site.poller.readings.health)
    finally:
        await site.stop()


@pytest.mark.parametrize("set_name", SETS_WITH_A_BATTERY)
async def test_the_monitor_shows_each_set_as_its_raw_json_says(
    sim_factory: SimFactory, set_name: str
) -> None:
    sim = sim_factory(replay=SETS / set_name)
    s, health = await snapshot_of(sim)
    assert s.connectivity is Connectivity.ONLINE, s.problem
    soe = raw(set_name, "system_status.soe")
    assert soe is not None
    assert s.soe_raw == soe["percentage"]
    assert s.soe_percent == pytest.approx(api_to_app(soe["percentage"]))
    grid = raw(set_name, "system_status.grid_status")
    assert grid is not None
    assert s.grid is GridState.parse(grid["grid_status"])
    meters = raw(set_name, "meters.aggregates")
    assert meters is not None
    for field, meter in (
        ("site_w", "site"),
        ("battery_w", "battery"),
        ("load_w", "load"),
        ("solar_w", "solar"),
    ):
        assert getattr(s, field) == meters[meter]["instant_power"], field  # signs as sent
    operation = raw(set_name, "operation")
    if operation is not None:
        mode = operation.get("real_mode") or operation.get("mode")
        assert s.mode_raw == mode
        assert s.mode is OperationMode.parse(mode)
        assert s.reserve_percent == pytest.approx(
            api_to_app(operation["backup_reserve_percent"]), abs=0.05
        )
    else:  # 23.44 has no /api/operation: only the mode is unknown, the rest is live
        assert s.mode is None
        assert health["operation"] is Health.MISSING


@pytest.mark.parametrize(
    ("set_name", "units"),
    [
        ("vlo-1.15-2018", 2),
        ("vlo-1.40.2-2019", 2),
        ("jrester-de-1.50", 2),
        ("pypowerwall-23.28-bogus", 2),
        ("vlo-21.39.1-foogod", 1),
    ],
)
async def test_capacity_is_every_units_energy_even_where_site_info_says_one(
    sim_factory: SimFactory, set_name: str, units: int
) -> None:
    sim = sim_factory(replay=SETS / set_name)
    s, _ = await snapshot_of(sim)
    assert s.powerwall_count == units
    system = raw(set_name, "system_status")
    site = raw(set_name, "site_info")
    assert site is not None
    if system is not None and system.get("nominal_full_pack_energy"):
        expected = system["nominal_full_pack_energy"] * 0.95  # the packs' own measure
    else:
        expected = max(site.get("nominal_system_energy_kWh", 0) * 1000, units * UNIT_ENERGY_WH)
    assert s.capacity_wh == pytest.approx(expected)
    if set_name in ("vlo-1.15-2018", "vlo-1.40.2-2019"):
        assert site["nominal_system_energy_kWh"] == 13.5  # what 1.x says for two units …
        assert s.capacity_wh == 2 * UNIT_ENERGY_WH  # … and what they hold


async def test_a_stopped_site_shows_no_power_and_says_so(sim_factory: SimFactory) -> None:
    sim = sim_factory(replay=SETS / "vlo-21.39.1-foogod-stopped")
    s, _ = await snapshot_of(sim)
    assert s.connectivity is Connectivity.GATEWAY_STOPPED
    assert (s.site_w, s.battery_w, s.load_w, s.solar_w) == (None, None, None, None)


def status_json(sim: Simulator, capsys: pytest.CaptureFixture[str], code: int = 0) -> Any:
    argv = ["status", "--host", sim.address, "--fingerprint", sim.fingerprint, "--json"]
    assert main(argv) == code, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("set_name", SETS_WITH_A_BATTERY)
def test_pwtray_status_reads_each_set(
    sim_factory: SimFactory,
    set_name: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory(replay=SETS / set_name)
    monkeypatch.setenv("PWTRAY_PASSWORD", password_for(sim))
    reading = status_json(sim, capsys)
    soe = raw(set_name, "system_status.soe")
    grid = raw(set_name, "system_status.grid_status")
    meters = raw(set_name, "meters.aggregates")
    assert soe is not None
    assert grid is not None
    assert meters is not None
    assert reading["soe"] == round(api_to_app(soe["percentage"]), 1)
    assert reading["grid_status"] == grid["grid_status"]
    assert reading["battery_w"] == meters["battery"]["instant_power"]
    status = raw(set_name, "status")
    assert status is not None
    assert reading["firmware"] == status["version"].strip().split(" ")[0]
    if raw(set_name, "operation") is None:
        assert reading["unread"]["operation"] == "missing"  # said, and still exit 0


def test_pwtray_status_on_a_stopped_site_exits_6(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(replay=SETS / "vlo-21.39.1-foogod-stopped")
    monkeypatch.setenv("PWTRAY_PASSWORD", password_for(sim))
    argv = ["status", "--host", sim.address, "--fingerprint", sim.fingerprint]
    assert main(argv) == 6
    assert "Powerwalls are stopped" in capsys.readouterr().err


def test_pwtray_status_on_a_solar_inverter_says_there_is_no_powerwall(
    sim_factory: SimFactory, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = sim_factory(replay=SETS / "pypowerwall-pvinverter-24.36")
    monkeypatch.setenv("PWTRAY_PASSWORD", password_for(sim))
    argv = ["status", "--host", sim.address, "--fingerprint", sim.fingerprint]
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 7
    assert "neither the grid state nor a battery" in err
