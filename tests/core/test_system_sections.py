"""The System sections against a real capture set replayed over TLS (the 21.39.1 site has every
endpoint: installer, solar, meters with CT readings, generators), and alerts in plain words."""

from __future__ import annotations

import json

import pytest

from pwtray.core import SYSTEM_SECTIONS, explain_alert
from pwtray.core._system import read_section
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
    assert " V, " in meter_text  # each CT with its voltage and power
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
