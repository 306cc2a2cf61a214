"""The System sections against a real capture set replayed over TLS (the 21.39.1 site has every
endpoint: installer, solar, meters with CT readings, generators), and alerts in plain words."""

from __future__ import annotations

import json

import msgspec
import pytest

from pwtray.core import SYSTEM_SECTIONS, explain_alert
from pwtray.core._system import read_section
from pwtray.core._system_info import update_text
from pwtray.gateway import UpdateStatus
from tests.conftest import SETS, SimFactory
from tests.gateway.helpers import client_for


async def test_each_system_section_shows_what_the_gateway_has(sim_factory: SimFactory) -> None:
    folder = SETS / "vlo-21.39.1-foogod"
    sim = sim_factory(replay=folder)
    async with client_for(sim) as gw:
        sections = {title: await read_section(gw, title) for title, _ in SYSTEM_SECTIONS}
    assert {t: s.error for t, s in sections.items() if s.error} == {}
    installer = json.loads((folder / "installer.json").read_text())
    assert dict(sections["Installer"].rows)["Installer"] == (installer["company"] or "—")
    solars = json.loads((folder / "solars.json").read_text())
    solar_rows = dict(sections["Solar"].rows)
    assert len(solar_rows) == len(solars)
    assert solars[0]["brand"] in solar_rows["Inverter 1"]
    readings = json.loads((folder / "meters.readings.json").read_text())
    meter_text = "\n".join(f"{k} {v}" for k, v in sections["Meters"].rows)
    for serial in readings:
        assert f"Meter {serial}" in meter_text
    # While the Powerwalls run, this gateway has no live CT readings (all zeros, and it says
    # so in "error"): said, not shown as 0 V and 0 kW.
    assert " V, " not in meter_text
    assert "no live readings here while the Powerwalls run" in meter_text
    tesla = dict(sections["Tesla connection"].rows)
    sitemaster = json.loads((folder / "sitemaster.json").read_text())
    assert tesla["Connected to Tesla"] == ("yes" if sitemaster["connected_to_tesla"] else "no")


async def test_firmware_1x_shows_its_uptime_with_the_tesla_connection(
    sim_factory: SimFactory,
) -> None:
    sim = sim_factory(replay=SETS / "vlo-1.40.2-2019")
    async with client_for(sim) as gw:
        tesla = await read_section(gw, "Tesla connection")
    assert tesla.error is None
    assert dict(tesla.rows)["Up for"] == "802459s"  # what the 1.40.2 gateway said


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("PINV_a006_vfCheckUnderFrequency", "The grid's frequency fell too low"),
        ("PINV_a008_vfCheckRocof", "The grid's frequency changed too fast"),
        ("PINV_a007_vfCheckOverFrequency", "The grid's frequency rose too high"),
    ],
)
def test_alerts_are_said_in_words_with_their_code(name: str, words: str) -> None:
    said = explain_alert(name)
    assert said.startswith(words)
    assert name in said  # the code stays, for a support request
    assert "inverter" in said


def test_an_alert_pwtray_cannot_explain_is_shown_as_it_is() -> None:
    assert explain_alert("SomethingNew_a999") == "SomethingNew_a999"


@pytest.mark.parametrize(
    ("site", "said"),
    [
        # The seed: "/update_failed" with "nonactionable" = looked for an update, none needed.
        ("vlo-1.15-2018", "up to date"),
        ("pypowerwall-23.28-bogus", "up to date (the last update succeeded)"),
        ("vlo-21.39.1-foogod", "no update in progress"),
    ],
)
async def test_the_update_status_of_real_sites_is_said_as_it_means(
    sim_factory: SimFactory, site: str, said: str
) -> None:
    sim = sim_factory(replay=SETS / site)
    async with client_for(sim) as gw:
        section = await read_section(gw, "Firmware and updates")
    assert section.error is None
    assert dict(section.rows)["Update status"] == said


@pytest.mark.parametrize(
    ("reply", "said"),
    [
        ({"state": "/update_failed", "info": {"status": ["error"]}}, "the last update failed"),
        (
            {"state": "/update_failed", "info": {"status": ["ignoring"]}},
            "busy; the update check was put off",
        ),
        (
            {"state": "/download", "info": {"status": ["nonactionable"]}, "version": "24.4.0 a1"},
            "downloading an update (to 24.4.0)",
        ),
        (
            {"state": "/update_downloaded", "version": "23.44.0 eb113390"},
            "an update is downloaded, ready to install",  # the running version: nothing new
        ),
        (
            {"state": "/update_staged", "offline_updating": True, "offline_update_error": ""},
            "an update is staged, to be installed; updating without the internet",
        ),
        ({"state": "/clear_update_status"}, "checking for an update"),
        ({"state": "/some_new_state"}, "some new state"),
    ],
)
def test_every_update_state_of_the_seed_is_said_in_words(
    reply: dict[str, object], said: str
) -> None:
    update = msgspec.json.decode(json.dumps(reply), type=UpdateStatus)
    assert update_text(update, "23.44.0 eb113390") == said


async def test_a_stopped_site_shows_each_ct_with_its_voltage_and_power(
    sim_factory: SimFactory,
) -> None:
    folder = SETS / "vlo-21.39.1-foogod-stopped"
    sim = sim_factory(replay=folder)
    async with client_for(sim) as gw:
        section = await read_section(gw, "Meters")
    assert section.error is None
    rows = dict(section.rows)
    readings = json.loads((folder / "meters.readings.json").read_text())
    for serial, reading in readings.items():
        cts = reading["data"]["cts"]
        assert rows[f"Meter {serial}"] == f"{len(cts)} current sensors"
    shown = [value for name, value in section.rows if name.strip().startswith("CT ")]
    first = next(iter(readings.values()))["data"]["cts"][0]
    assert f"{first['v_V']:.1f} V, {first['p_W'] / 1000:+.2f} kW" in shown
