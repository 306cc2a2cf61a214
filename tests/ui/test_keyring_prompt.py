"""The setup wizard on a desktop whose keyring has no default collection, as a user met it: the
real gnome-keyring and its real prompter ("Choose password for new keyring") on the test's X
display. While the prompt is open the app keeps running; the user cancels; the wizard says why
in one sentence; Finish stores the password for the session without a second prompt, and the
gateway is monitored with it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from pwtray.core import CliOptions, Core
from pwtray.core.notify import Notifier
from pwtray.core.words import keyring_text
from pwtray.monitor import Connectivity
from pwtray.settings import KeyringProblem, KeyringSecrets
from pwtray.ui.bridge import Bridge
from pwtray.ui.controller import Controller
from pwtray.ui.wizard import SetupWizard
from tests.conftest import PASSWORD, SimFactory
from tests.secretservice import collect_leaked_connections, secret_service
from tests.ui.fakedesktop import FakeDesktop
from tests.waiting import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


# keyring leaves the D-Bus connection of a call whose prompt was cancelled to the garbage
# collector (see collect_leaked_connections); only that socket's warning is let through.
pytestmark = pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*raddr=/tmp/dbus-")


@pytest.fixture(autouse=True)
def _leaked_connections() -> Iterator[None]:
    yield
    collect_leaked_connections()


def test_a_cancelled_create_keyring_prompt_neither_freezes_nor_repeats(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    sim_factory: SimFactory,
    desktop: FakeDesktop,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim = sim_factory()
    display = os.environ["DISPLAY"]
    seen_by_the_app = threading.Event()
    with secret_service(tmp_path / "keyring", monkeypatch, login_password=None,
                        display=display) as service:  # fmt: skip

        def watchdog() -> None:
            """Were the prompt asked for on the GUI thread, the app could not see it (it would
            be frozen until someone answered): answer it after a while, so the test fails."""
            if not seen_by_the_app.wait(90):
                with contextlib.suppress(AssertionError):
                    service.cancel_prompt()

        threading.Thread(target=watchdog, daemon=True).start()

        async def scenario() -> None:
            core = await Core.start(
                CliOptions(),
                settings_path=tmp_path / "settings.toml",
                data_folder=tmp_path / "data",
                log_folder=tmp_path / "log",
                secrets=KeyringSecrets(),
            )
            try:
                await use_the_wizard(core)
            finally:
                await core.close()

        async def use_the_wizard(core: Core) -> None:
            controller = Controller(core, Bridge(core.site, core), Notifier(lambda notice: None))
            core.site.start()
            controller.open_wizard()
            wizard = controller.dialogs["wizard"]
            assert isinstance(wizard, SetupWizard)
            QTest.keyClicks(wizard.find_page.address, sim.address)
            wizard.next()
            await until(lambda: wizard.cert_page.diagnosis is not None, 15, "the certificate")
            wizard.cert_page.trust.setChecked(True)
            wizard.next()
            QTest.keyClicks(wizard.login_page.password, PASSWORD)
            wizard.login_page.login_button.click()
            await until(lambda: wizard.login_page.logged_in, 15, "the login")
            wizard.next()  # "Ready" asks the keyring, which puts up its prompt …
            done = wizard.done_page
            ticks = []
            timer = QTimer()
            timer.timeout.connect(lambda: ticks.append(1))
            timer.start(20)
            await until(service.prompts, 30, "the create-keyring prompt")
            seen_by_the_app.set()
            seen = len(ticks)
            await asyncio.sleep(0.5)
            assert len(ticks) > seen  # … and the app keeps running while it is open
            assert done.keyring.text().startswith("Asking the system keyring")
            shot = QGuiApplication.primaryScreen().grabWindow(0)
            ARTIFACTS.mkdir(exist_ok=True)
            shot.copy(0, 0, 1280, 720).save(str(ARTIFACTS / "keyring-prompt-over-wizard.png"))
            await asyncio.to_thread(service.cancel_prompt)  # the user presses Cancel
            await until(lambda: done.keyring_checked, 15, "the keyring's answer")
            timer.stop()
            assert done.keyring.text() == f"⚠ {keyring_text(KeyringProblem.NO_DEFAULT)}"
            wizard.grab().save(str(ARTIFACTS / "wizard-ready-no-keyring.png"))
            QTest.mouseClick(wizard.button(QWizard.WizardButton.FinishButton),
                             Qt.MouseButton.LeftButton)  # fmt: skip
            # The core stores the password: no second prompt (nobody would answer it, and the
            # gateway would stay unmonitored), so this session runs with the password given.
            site = core.site
            await until(lambda: site.snapshot.connectivity is Connectivity.ONLINE, 20, "online")
            assert service.prompts() == []
            assert core.passwords.problem is KeyringProblem.NO_DEFAULT
            assert await core.passwords.get(sim.address) == PASSWORD
            assert not list(service.data.rglob("*.keyring"))

        try:
            qloop.run_until_complete(scenario())
        finally:
            seen_by_the_app.set()
