"""Mode & reserve and off-grid against simulators: written and read back on firmware 1.15, the
403 of current firmware explained, off grid only after a confirmation and followed to the end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from pwtray.core import Site
from pwtray.simulator import Simulator
from pwtray.ui.mode_dialog import ModeReserveDialog
from tests.conftest import SimFactory
from tests.core.helpers import site_for
from tests.fakeclock import FakeClock
from tests.timepump import time_passes
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def dialog_for(qtbot: QtBot, sim: Simulator) -> tuple[ModeReserveDialog, Site]:
    """The dialog on a site's commands, as the app opens it."""
    site = site_for(sim)
    dialog = ModeReserveDialog(site.commands, charge_percent=64.0)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog, site


def test_old_firmware_writes_and_reads_back(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory(firmware="1.15.0")

    async def scenario() -> None:
        dialog, site = dialog_for(qtbot, sim)
        await until(lambda: dialog.operation is not None, what="the first read")
        assert dialog.current.text() == (
            "Now: Self-powered, backup reserve 20 % (gateway value 24.0 %)."
        )
        dialog.spin.setValue(35)
        assert "stores this as 38.2 %" in dialog.api_value.text()
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✔"), what="the read-back")
        assert dialog.outcome.text() == (
            "✔ Saved. The gateway confirms: Self-powered, backup reserve 35 % "
            "(gateway value 38.2 %)."
        )
        assert sim.state()["reserve_percent"] == 35
        assert site.snapshot.reserve_percent == 35  # the monitor shows it at once
        dialog.grab().save(str(ARTIFACTS / "dialog-mode-saved.png"))
        dialog.close()
        await site.stop()

    ARTIFACTS.mkdir(exist_ok=True)
    qloop.run_until_complete(scenario())


def test_current_firmware_refusal_is_explained_and_nothing_pretends(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()  # customer login: mode and reserve writes get 403

    async def scenario() -> None:
        dialog, site = dialog_for(qtbot, sim)
        await until(lambda: dialog.operation is not None, what="the first read")
        dialog.spin.setValue(50)
        dialog.apply_button.click()
        await until(lambda: dialog.outcome.text().startswith("✖"), what="the refusal")
        text = dialog.outcome.text()
        assert "Not changed" in text
        assert "change them in the Tesla app" in text
        assert "/api/" not in text  # the endpoint only in the details (the tooltip)
        assert "operation" in dialog.outcome.toolTip()
        await until(lambda: dialog.spin.value() == 20, what="the settings read again")
        assert dialog.current.text().startswith("Now: Self-powered, backup reserve 20 %")
        dialog.grab().save(str(ARTIFACTS / "dialog-mode-refused.png"))
        dialog.close()
        await site.stop()

    ARTIFACTS.mkdir(exist_ok=True)
    qloop.run_until_complete(scenario())


def test_going_off_grid_needs_a_confirmation_and_is_followed(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()

    async def scenario() -> None:
        dialog, site = dialog_for(qtbot, sim)
        await until(lambda: dialog.grid_button.isEnabled(), what="the grid state")
        assert dialog.grid_label.text() == "Connected to the grid."
        dialog.grid_button.click()
        box = dialog.confirmation
        assert "run on the Powerwall (now 64 %) and solar" in box.text()
        box.button(QMessageBox.StandardButton.Cancel).click()
        assert not dialog.tasks.busy  # Cancel started nothing that could still send it
        assert not any(r.path.startswith("/api/v2/islanding") for r in sim.requests())
        dialog.grid_button.click()
        confirm = next(b for b in dialog.confirmation.buttons() if b.text() == "Go off grid")
        confirm.click()
        clock = site.clock
        assert isinstance(clock, FakeClock)
        async with time_passes(sim, clock):  # the gateway takes a few seconds to switch
            await until(lambda: dialog.outcome.text() == "✔ Off grid.", 20, "off grid")
        assert dialog.grid_button.text() == "Reconnect to the grid…"
        assert sim.state()["grid_status"] != "SystemGridConnected"
        assert site.snapshot.off_grid  # refreshed after the command
        dialog.close()
        await site.stop()

    qloop.run_until_complete(scenario())
