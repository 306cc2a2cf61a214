"""Mode & reserve and off-grid against simulators: written and read back on firmware 1.15, the
403 of current firmware explained, off grid only after a confirmation and followed to the end."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from pwtray.gateway import GatewayClient, OperationMode
from pwtray.ui.mode_dialog import ModeReserveDialog
from tests.conftest import SimFactory
from tests.gateway.helpers import client_for
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def dialog_for(qtbot: QtBot, client: GatewayClient, **kwargs: object) -> ModeReserveDialog:
    dialog = ModeReserveDialog(client, charge_percent=64.0, **kwargs)  # type: ignore[arg-type]
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_old_firmware_writes_and_reads_back(qapp: QApplication, qtbot: QtBot,
                                            qloop: asyncio.AbstractEventLoop,
                                            sim_factory: SimFactory) -> None:  # fmt: skip
    sim = sim_factory(firmware="1.15.0")
    expected: list[tuple[str, float]] = []

    async def scenario() -> None:
        async with client_for(sim) as gw:
            dialog = dialog_for(qtbot, gw, expect=lambda m, r: expected.append((m, r)))
            await until(lambda: dialog.operation is not None, what="the first read")
            assert dialog.current.text() == (
                "Now: Self-powered, backup reserve 20 % (gateway value 24.0 %)."
            )
            dialog.mode_buttons[OperationMode.AUTONOMOUS].setChecked(True)
            dialog.spin.setValue(35)
            assert "stores this as 38.2 %" in dialog.api_value.text()
            dialog.apply_button.click()
            await until(lambda: dialog.outcome.text().startswith("✔"), what="the read-back")
            assert dialog.outcome.text() == (
                "✔ Saved. The gateway confirms: Time-based control, backup reserve 35 % "
                "(gateway value 38.2 %)."
            )
            assert (await gw.operation()).mode == "autonomous"
            dialog.grab().save(str(ARTIFACTS / "dialog-mode-saved.png"))
            dialog.close()

    ARTIFACTS.mkdir(exist_ok=True)
    qloop.run_until_complete(scenario())
    assert expected == [("autonomous", 35.0)]  # the poller was told before the write


def test_current_firmware_refusal_is_explained_and_nothing_pretends(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()  # customer login: mode and reserve writes get 403

    async def scenario() -> None:
        async with client_for(sim) as gw:
            dialog = dialog_for(qtbot, gw)
            await until(lambda: dialog.operation is not None, what="the first read")
            dialog.spin.setValue(50)
            dialog.apply_button.click()
            await until(lambda: dialog.outcome.text().startswith("✖"), what="the refusal")
            text = dialog.outcome.text()
            assert "Not changed" in text
            assert "use the Tesla app" in text
            await until(lambda: dialog.spin.value() == 20, what="the settings read again")
            assert dialog.current.text().startswith("Now: Self-powered, backup reserve 20 %")
            dialog.grab().save(str(ARTIFACTS / "dialog-mode-refused.png"))
            dialog.close()

    ARTIFACTS.mkdir(exist_ok=True)
    qloop.run_until_complete(scenario())


def test_going_off_grid_needs_a_confirmation_and_is_followed(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()

    async def scenario() -> None:
        async with client_for(sim) as gw:
            dialog = dialog_for(qtbot, gw)
            await until(lambda: dialog.grid_button.isEnabled(), what="the grid state")
            assert dialog.grid_label.text() == "Connected to the grid."
            dialog.grid_button.click()
            box = dialog.confirmation
            assert "run on the Powerwall (now 64 %) and solar" in box.text()
            box.button(QMessageBox.StandardButton.Cancel).click()
            await asyncio.sleep(0.3)
            assert not any(r.path.startswith("/api/v2/islanding") for r in sim.requests())
            dialog.grid_button.click()
            confirm = next(b for b in dialog.confirmation.buttons() if b.text() == "Go off grid")
            confirm.click()
            await until(lambda: dialog.outcome.text() == "✔ Off grid.", 20, "off grid")
            assert dialog.grid_button.text() == "Reconnect to the grid…"
            assert (await gw.grid_status()).state.off_grid
            dialog.close()

    qloop.run_until_complete(scenario())
