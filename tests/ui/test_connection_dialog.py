"""The Connection dialog and its doctor against simulators: first trust, a changed certificate
trusted explicitly, a wrong password explained; the stored password is read from the keyring off
the GUI thread, and a new one is handed to the core (which stores it)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pwtray.core import Passwords
from pwtray.core.words import keyring_text
from pwtray.settings import Connection, KeyringProblem, KeyringSecrets
from pwtray.ui.connection_dialog import ConnectionDialog, Saved
from tests.conftest import PASSWORD, SimFactory
from tests.keyrings import MemoryKeyring, NoDefaultKeyring, using
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_first_trust_then_a_full_check_and_save(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    saved: list[Saved] = []
    backend = MemoryKeyring()
    with using(backend):
        dialog = ConnectionDialog(Connection(), Passwords(KeyringSecrets()),
                                  on_saved=saved.append)  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.show()
        dialog.host.setText(sim.address)
        dialog.password.setText(PASSWORD)

        async def scenario() -> None:
            dialog.save_button.click()
            await until(lambda: "✖" in dialog.report.text(), what="the refusal to save")
            assert "trust the gateway's certificate first" in dialog.report.text()
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, what="the first check")
            assert dialog.change_box.isVisibleTo(dialog)
            assert dialog.change_box.title() == "Not trusted yet"
            dialog.trust_button.click()
            dialog.check_button.click()
            await until(lambda: dialog.report.text().count("✔") == 5, what="every check passing")

            ARTIFACTS.mkdir(exist_ok=True)
            dialog.grab().save(str(ARTIFACTS / "dialog-connection-ok.png"))
            dialog.save_button.click()
            await until(lambda: bool(saved), what="the save")

        qloop.run_until_complete(scenario())
        assert backend.items == {}  # the dialog never writes the keyring: the core does
    (result,) = saved
    assert result.connection == Connection(host=sim.address, fingerprint=sim.fingerprint)
    assert result.password == PASSWORD
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
                                  Passwords(KeyringSecrets()), on_saved=lambda s: None)  # fmt: skip
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
        assert "Not checked, because the certificate could not be confirmed" in report  # no login
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
                                  Passwords(KeyringSecrets()), on_saved=lambda s: None)  # fmt: skip
        qtbot.addWidget(dialog)
        dialog.password.setText("wrong")

        async def scenario() -> None:
            dialog.check_button.click()
            await until(lambda: dialog.diagnosis is not None, what="the check")

        qloop.run_until_complete(scenario())
    assert "rejected the password" in dialog.report.text()
    assert "last 5 characters" in dialog.report.text()


def test_the_stored_password_is_used_and_kept_when_the_address_changes(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    sim = sim_factory()
    saved: list[Saved] = []
    with using(MemoryKeyring()) as backend:
        backend.set_password("pwtray", "127.0.0.9", PASSWORD)  # where the gateway used to be
        dialog = ConnectionDialog(Connection(host="127.0.0.9", fingerprint=sim.fingerprint),
                                  Passwords(KeyringSecrets()), on_saved=saved.append)  # fmt: skip
        qtbot.addWidget(dialog)

        async def scenario() -> None:
            await until(lambda: "stored in the system keyring" in dialog.password.placeholderText(),
                        what="the keyring's answer")  # fmt: skip
            dialog.host.setText(sim.address)  # the gateway moved; the password did not change
            dialog.check_button.click()
            await until(lambda: dialog.report.text().count("✔") == 5, what="every check passing")
            dialog.save_button.click()
            await until(lambda: bool(saved), what="the save")

        qloop.run_until_complete(scenario())
    (result,) = saved
    assert result.connection.host == sim.address
    assert result.password == PASSWORD  # handed on, to be stored under the new address


def test_a_keyring_that_failed_earlier_is_said_and_not_asked_again(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    """At start the user cancelled "create a keyring"; opening Connection asks no more."""
    backend = NoDefaultKeyring()
    with using(backend):
        secrets = KeyringSecrets()
        assert secrets.get("127.0.0.9") is None  # the start's question, cancelled

        async def scenario() -> None:
            dialog = ConnectionDialog(Connection(host="127.0.0.9", fingerprint="ab" * 32),
                                      Passwords(secrets), on_saved=lambda s: None)  # fmt: skip
            qtbot.addWidget(dialog)
            await until(lambda: dialog.password.placeholderText() == "customer password",
                        what="the keyring's answer")  # fmt: skip
            assert dialog.problem.text() == f"⚠ {keyring_text(KeyringProblem.NO_DEFAULT)}"
            dialog.close()

        qloop.run_until_complete(scenario())
    assert backend.calls == 1
