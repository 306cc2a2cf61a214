"""The Gateway info dialog against the simulator: every section, and a section that fails."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from pwtray.ui.network_dialog import NetworkInfoDialog
from tests.conftest import SimFactory
from tests.core.helpers import site_for
from tests.timepump import time_passes
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def labels(dialog: NetworkInfoDialog, title: str) -> list[str]:
    return [label.text() for label in dialog.boxes[title].findChildren(QLabel)]


def test_every_section_loads_and_a_failing_one_says_so(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()

    async def scenario() -> None:
        site = site_for(sim)
        dialog = NetworkInfoDialog(site.commands)
        qtbot.addWidget(dialog)
        dialog.show()
        assert "Loading…" in labels(dialog, "Site")
        async with time_passes(sim):  # the gateway's connectivity tests take it some seconds
            await until(lambda: dialog.all_loaded, 30, "every section")
        assert "Home Energy Gateway" in labels(dialog, "Site")
        assert any("HomeWiFi" in t for t in labels(dialog, "Networks"))
        assert "passed" in labels(dialog, "Connectivity tests")
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.grab().save(str(ARTIFACTS / "dialog-network.png"))
        assert "up to date" in " ".join(labels(dialog, "Firmware and updates"))
        dialog.pages.setCurrentIndex(1)  # System
        assert labels(dialog, "Installer")  # every System section filled too
        assert any(t == "yes" for t in labels(dialog, "Tesla connection"))
        dialog.grab().save(str(ARTIFACTS / "dialog-gateway-system.png"))
        dialog.copy()
        copied = QApplication.clipboard().text()
        assert "[Powerwalls]\nPowerwall 1: serial " in copied
        assert "[Alerts and faults]\n" in copied
        shown = dialog.text()  # the gateway's codes, said in words
        assert "Wi-Fi HomeWiFi" in shown
        assert "security WPA2 Personal" in shown
        for code in ("EthType", "WifiType", "GsmType", "_Personal", "NOT ", "FAILED", "/api/"):
            assert code not in shown, code
        # The gateway starts failing one endpoint: that section says so, the rest stay.
        sim.set_fault("malformed-json", paths="/api/site_info", rate=1.0)
        dialog.refresh_button.click()
        async with time_passes(sim):
            await until(lambda: dialog.all_loaded, 30, "the refresh")
        (site_text,) = labels(dialog, "Site")
        assert site_text.startswith(
            "⚠ Could not read this: The gateway sent a reply pwtray cannot read"
        )
        assert "Home Energy Gateway" not in site_text
        assert "passed" in labels(dialog, "Connectivity tests")
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())
