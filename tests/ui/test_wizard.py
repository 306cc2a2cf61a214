"""The first-run wizard end to end against simulators on 127.0.0.2-4: discovery finds exactly
those, the certificate is shown and trusted, a wrong password and a lock-out are said in words,
the right one is handed to the app (which stores it in the keyring, off the GUI thread); a search
after typing an address uses the gateway found, as the user's clicks say."""

from __future__ import annotations

import asyncio
import re
import socket
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from pwtray.core import Passwords, spaced_fingerprint
from pwtray.core.words import keyring_text
from pwtray.settings import Connection, KeyringSecrets, SessionSecrets
from pwtray.ui.connection_dialog import Saved
from pwtray.ui.tray import TrayController
from pwtray.ui.wizard import SetupWizard
from tests.conftest import PASSWORD, SimFactory
from tests.keyrings import MemoryKeyring, using
from tests.ui.conftest import until
from tests.ui.test_tray import tray as tray

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def shared_port() -> int:
    """A port free on 127.0.0.2-4 alike, so one range ``127.0.0.2-6:PORT`` covers them."""
    with socket.socket() as s:
        s.bind(("127.0.0.2", 0))
        return int(s.getsockname()[1])


def snap(wizard: SetupWizard, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    wizard.grab().save(str(ARTIFACTS / f"wizard-{name}.png"))


def test_from_search_to_monitoring(qapp: QApplication, qtbot: QtBot,
                                   qloop: asyncio.AbstractEventLoop,
                                   sim_factory: SimFactory) -> None:  # fmt: skip
    port = shared_port()
    current = sim_factory(host="127.0.0.2", port=port)
    others = [sim_factory(host="127.0.0.3", port=port, firmware="1.15.0"),
              sim_factory(host="127.0.0.4", port=port, lockout_after=1)]  # fmt: skip
    saved: list[Saved] = []
    backend = MemoryKeyring()
    with using(backend):
        wizard = SetupWizard(Passwords(KeyringSecrets()), on_done=saved.append,
                             search_range=f"127.0.0.2-6:{port}")  # fmt: skip
        qtbot.addWidget(wizard)
        wizard.show()
        find = wizard.find_page

        async def scenario() -> None:
            assert not find.isComplete()
            find.search_button.click()
            await until(lambda: find.found.count() > 0, 15, "the search")
            found = [find.found.item(i).text() for i in range(find.found.count())]
            assert [t.split(" — ")[0] for t in found] == [
                f"127.0.0.2:{port}",
                f"127.0.0.3:{port}",
                f"127.0.0.4:{port}",
            ]
            assert "firmware 1.15.0" in found[1]
            snap(wizard, "1-found")
            find.found.setCurrentRow(0)
            assert find.isComplete()
            wizard.next()
            cert = wizard.cert_page
            await until(lambda: cert.diagnosis is not None, 10, "the certificate")
            shown = cert.fingerprint.text().replace("\n", ":")
            assert shown == spaced_fingerprint(current.fingerprint)
            assert not cert.isComplete()  # not before the user says so
            cert.trust.setChecked(True)
            snap(wizard, "2-certificate")
            wizard.next()
            login = wizard.login_page
            assert "customer password" in login.help.text()
            login.password.setText("wrong")
            login.login_button.click()
            await until(lambda: login.outcome.text().startswith("✖"), 10, "the refusal")
            assert "rejected the password" in login.outcome.text()
            assert not login.isComplete()
            login.password.setText(PASSWORD)
            login.login_button.click()
            await until(lambda: login.outcome.text().startswith("✔"), 10, "the login")
            snap(wizard, "3-login")
            wizard.next()
            done = wizard.done_page
            await until(lambda: done.keyring_checked, 10, "the keyring's answer")
            assert done.keyring.text() == keyring_text(None)  # it will be kept in the keyring
            assert "Connection… in the tray menu" in done.later.text()
            snap(wizard, "4-ready")
            wizard.accept()

        qloop.run_until_complete(scenario())
    (result,) = saved
    assert result.connection == Connection(host=f"127.0.0.2:{port}",
                                           fingerprint=current.fingerprint)  # fmt: skip
    assert result.password == PASSWORD
    assert backend.items == {}  # the wizard only asked; the core stores it (test_controller)
    # The gateways not chosen were asked for their status once, and never for a login.
    for other in others:
        assert [r.path for r in other.requests()] == ["/api/status"]


def test_old_firmware_asks_for_the_serial_and_a_lock_out_is_said(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    legacy = sim_factory(host="127.0.0.3", firmware="1.15.0")
    locking = sim_factory(host="127.0.0.4", lockout_after=1, lockout_s=600)
    with using(MemoryKeyring()):
        wizard = SetupWizard(Passwords(KeyringSecrets()), on_done=lambda s: None,
                             search_range="127.0.0.9")  # fmt: skip
        qtbot.addWidget(wizard)
        wizard.show()

        async def to_login(address: str) -> None:
            wizard.restart()
            wizard.find_page.address.clear()
            QTest.keyClicks(wizard.find_page.address, address)
            wizard.next()
            await until(lambda: wizard.cert_page.diagnosis is not None, 10, "the certificate")
            wizard.cert_page.trust.setChecked(True)
            wizard.next()

        async def scenario() -> None:
            await to_login(legacy.address)
            assert "S followed by the serial number" in wizard.login_page.help.text()
            assert not wizard.login_page.email.isVisible()
            await to_login(locking.address)
            login = wizard.login_page
            for _ in range(2):
                login.password.setText("wrong")
                login.login_button.click()
                await until(lambda: login.login_button.isEnabled(), 10, "an answer")
            assert "after too many attempts" in login.outcome.text()
            assert "will not try again before" in login.outcome.text()

        qloop.run_until_complete(scenario())


def test_nothing_found_and_a_bad_range_are_explained(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop
) -> None:
    wizard = SetupWizard(Passwords(SessionSecrets()), on_done=lambda s: None,
                         search_range="127.0.0.9-8")  # fmt: skip
    qtbot.addWidget(wizard)
    find = wizard.find_page
    find.search_button.click()
    status = find.search_status.text()
    assert status.startswith("✖ the range 127.0.0.9-8 ends before it starts. Write a range like ")
    find.range.setText(f"127.0.0.9:{shared_port()}")

    async def scenario() -> None:
        find.search_button.click()
        await until(lambda: find.search_button.isEnabled(), 10, "the search")

    qloop.run_until_complete(scenario())
    assert find.search_status.text().startswith("No gateway answered at these addresses.")


def test_a_search_after_typing_an_address_uses_the_gateway_found(
    qapp: QApplication, qtbot: QtBot, qloop: asyncio.AbstractEventLoop, sim_factory: SimFactory
) -> None:
    """The user types an address and goes on, comes back, searches instead, and goes on with
    the gateway the search highlighted, then with another one they click."""
    port = shared_port()
    found_first = sim_factory(host="127.0.0.2", port=port)
    typed = sim_factory(host="127.0.0.3", port=port)
    clicked = sim_factory(host="127.0.0.4", port=port)
    wizard = SetupWizard(Passwords(SessionSecrets()), on_done=lambda s: None,
                         search_range=f"127.0.0.2-4:{port}")  # fmt: skip
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    find, cert = wizard.find_page, wizard.cert_page
    next_button = wizard.button(QWizard.WizardButton.NextButton)
    back_button = wizard.button(QWizard.WizardButton.BackButton)

    async def certificate_shown() -> str:
        await until(lambda: cert.diagnosis is not None, 10, "the certificate")
        return cert.fingerprint.text().replace("\n", ":")

    async def scenario() -> None:
        QTest.mouseClick(find.address, Qt.MouseButton.LeftButton)
        QTest.keyClicks(find.address, typed.address)
        assert find.address_mode.isChecked()  # typing chose "Enter the gateway's address"
        QTest.mouseClick(next_button, Qt.MouseButton.LeftButton)
        assert await certificate_shown() == spaced_fingerprint(typed.fingerprint)
        QTest.mouseClick(back_button, Qt.MouseButton.LeftButton)
        QTest.mouseClick(find.search_button, Qt.MouseButton.LeftButton)
        await until(lambda: find.found.count() == 3, 15, "the search")
        assert find.search_mode.isChecked()  # searching chose "Search my network" again
        assert find.found.currentItem().text().startswith(found_first.address)  # highlighted
        QTest.mouseClick(next_button, Qt.MouseButton.LeftButton)
        assert await certificate_shown() == spaced_fingerprint(found_first.fingerprint)
        QTest.mouseClick(back_button, Qt.MouseButton.LeftButton)
        third = find.found.visualItemRect(find.found.item(2)).center()
        QTest.mouseClick(find.found.viewport(), Qt.MouseButton.LeftButton, pos=third)
        QTest.mouseClick(next_button, Qt.MouseButton.LeftButton)
        assert await certificate_shown() == spaced_fingerprint(clicked.fingerprint)
        # Typing again, then picking a gateway found with the keyboard: the pick is used.
        QTest.mouseClick(back_button, Qt.MouseButton.LeftButton)
        find.address.clear()
        QTest.keyClicks(find.address, typed.address)
        assert find.address_mode.isChecked()
        find.found.setFocus()
        QTest.keyClick(find.found, Qt.Key.Key_Home)
        assert find.search_mode.isChecked()
        QTest.mouseClick(next_button, Qt.MouseButton.LeftButton)
        assert await certificate_shown() == spaced_fingerprint(found_first.fingerprint)

    qloop.run_until_complete(scenario())


def test_the_ready_page_names_a_tray_menu_item_that_exists(
    qapp: QApplication, qloop: asyncio.AbstractEventLoop, tray: TrayController
) -> None:
    wizard = SetupWizard(Passwords(SessionSecrets()), on_done=lambda s: None,
                         search_range="127.0.0.9")  # fmt: skip
    (named,) = re.findall(r"choose (.+…) in the tray menu", wizard.done_page.later.text())
    assert named in [action.text() for action in tray.menu.actions()]
    wizard.deleteLater()
