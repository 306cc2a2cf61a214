"""The Connection dialog and its doctor against simulators: first trust, a changed certificate
trusted explicitly, a wrong password explained; the password goes to the keyring only."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pwtray.settings import Connection, KeyringSecrets
from pwtray.ui.connection_dialog import ConnectionDialog, Saved
from tests.conftest import PASSWORD, SimFactory
from tests.keyrings import MemoryKeyring, using
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_first_trust_then_a_full_check_and_save(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    saved: list[Saved] = []
    backend = MemoryKeyring()
    with using(backend):
        dialog = ConnectionDialog(Connection(), KeyringSecrets(), on_saved=saved.append)
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.host.setText(sim.address)
        dialog.password.setText(PASSWORD)
        dialog.save_button.click()
        assert "trust the gateway's certificate first" in dialog.report.text()

        async def scenario() -> None:
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, what="the first check")
            assert dialog.change_box.isVisibleTo(dialog)
            assert dialog.change_box.title() == "Not trusted yet"
            dialog.trust_button.click()
            dialog.check_button.click()
            await until(lambda: dialog.report.text().count("✔") == 5, what="every check passing")

        qloop.run_until_complete(scenario())
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.grab().save(str(ARTIFACTS / "dialog-connection-ok.png"))
        dialog.save_button.click()
        assert backend.items == {("pwtray", sim.address): PASSWORD}
    (result,) = saved
    assert result.connection == Connection(host=sim.address, fingerprint=sim.fingerprint)
    assert PASSWORD not in repr(result.connection)


def test_a_changed_certificate_is_shown_and_trusted_only_explicitly(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    old = sim.fingerprint
    sim.rotate_certificate()
    with using(MemoryKeyring()) as backend:
        backend.set_password("pwtray", sim.address, PASSWORD)
        dialog = ConnectionDialog(Connection(host=sim.address, fingerprint=old),
                                  KeyringSecrets(), on_saved=lambda s: None)  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.show()

        async def scenario() -> None:
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, what="the check")

        qloop.run_until_complete(scenario())
        assert dialog.change_box.title() == "The certificate changed"
        text = dialog.change_text.text()
        assert old[:4].upper() in text.replace(":", "")
        assert sim.fingerprint[:4].upper() in text.replace(":", "")
        report = dialog.report.text()
        assert "Differs from the one you trusted" in report  # the check says what failed …
        assert "No password was sent" in report  # … and that nothing reached the new host
        assert "Not checked: certificate failed first" in report  # login was never tried
        assert sim.requests() == []  # not one request reached it: the handshake stopped it
        assert dialog.trusted == old  # not until the user says so
        dialog.grab().save(str(ARTIFACTS / "dialog-connection-changed.png"))
        dialog.trust_button.click()
        assert dialog.trusted == sim.fingerprint


def test_a_wrong_password_is_explained(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    with using(MemoryKeyring()):
        dialog = ConnectionDialog(Connection(host=sim.address, fingerprint=sim.fingerprint),
                                  KeyringSecrets(), on_saved=lambda s: None)  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.password.setText("wrong")

        async def scenario() -> None:
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, what="the check")

        qloop.run_until_complete(scenario())
    assert "rejected the password" in dialog.report.text()
    assert "last 5 characters" in dialog.report.text()
