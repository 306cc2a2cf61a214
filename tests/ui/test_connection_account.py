"""Connection, Tesla account tab, against the simulated Tesla cloud over real TLS: signing in with
the browser (the test's "browser" fetches Tesla's page with httpx and follows its redirect to
pwtray on loopback, as a real one does) or a pasted refresh token, through the running app's
core — saved in settings.toml, used by the app at once — signing out, and every failure said in
words: no or a wrong client ID, the sign-in cancelled, timed out or declined, the cloud
unreachable, a revoked token, a permission missing, several sites to choose from, no keyring."""

from __future__ import annotations

import asyncio
import socket
import tomllib
import urllib.parse
from collections.abc import Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PySide6.QtWidgets import QApplication, QLineEdit
from pytestqt.qtbot import QtBot

from pwtray.cloud import SignInRequiredError
from pwtray.core import AccountState, CliOptions, CloudService, Core
from pwtray.core.notify import Notifier
from pwtray.core.words import SIGN_IN_STORED
from pwtray.settings import Connection, KeyringProblem, KeyringSecrets, Settings, save
from pwtray.ui.bridge import Bridge
from pwtray.ui.connection_dialog import CANCELLED, ConnectionDialog
from pwtray.ui.controller import Controller
from tests.cloud.conftest import CLIENT_ID, Cloud, CloudFactory, ca_context
from tests.cloud.conftest import cloud_factory as cloud_factory
from tests.conftest import PASSWORD
from tests.keyrings import MemoryKeyring, NoDefaultKeyring, using
from tests.ui.conftest import until

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
SITE_LINE = "Signed in — site Home Energy Gateway (1689000000001)"
REFRESH_KEY = ("pwtray", "tesla-cloud:refresh-token")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Browser:
    """The system browser, as far as a sign-in sees it: opens Tesla's page and follows its
    redirect to pwtray's loopback listener. ``pages`` are what the user would have seen."""

    def __init__(self, cloud: Cloud, *, visit: bool = True) -> None:
        self.cloud = cloud
        self.visit = visit
        self.opened: list[str] = []
        self.pages: list[httpx.Response] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if self.visit:
            task = asyncio.get_running_loop().create_task(self._browse(url))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return True

    async def _browse(self, url: str) -> None:
        async with httpx.AsyncClient(verify=ca_context(self.cloud), trust_env=False) as web:
            page = await web.get(url)
            self.pages.append(page)
            if page.status_code == 302:
                location = page.headers["location"]
                assert urllib.parse.urlsplit(location).hostname == "localhost"  # loopback only
                self.pages.append(await web.get(location))


@pytest.fixture
def keyring_backend() -> Iterator[MemoryKeyring]:
    with using(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


async def start_core(tmp_path: Path, cloud: Cloud, *, cloud_url: str | None = None) -> Core:
    """The running app's core: its gateway set up, the simulated cloud on the command line."""
    gateway = cloud.gateway
    settings_path = tmp_path / "settings.toml"
    save(Settings(connection=Connection(host=gateway.address, fingerprint=gateway.fingerprint)),
         settings_path)  # fmt: skip
    secrets = KeyringSecrets()
    await asyncio.to_thread(secrets.set, gateway.address, PASSWORD)
    return await Core.start(
        CliOptions(cloud_url=cloud_url or cloud.url, cloud_ca=str(cloud.sim.ca_path)),
        settings_path=settings_path, data_folder=tmp_path / "data",
        log_folder=tmp_path / "log", secrets=secrets,
    )  # fmt: skip


def service(core: Core) -> CloudService:
    cloud = core.site.commands.cloud
    assert cloud is not None
    return cloud


def account_dialog(
    qtbot: QtBot, core: Core, browser: Callable[[str], object], **options: Any
) -> ConnectionDialog:
    dialog = ConnectionDialog(core.settings.connection, core.passwords, on_saved=lambda s: None,
                              account=core.account, open_browser=browser,
                              redirect_port=free_port(), **options)  # fmt: skip
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.show_account()
    return dialog


def run(
    qloop: asyncio.AbstractEventLoop,
    tmp_path: Path,
    cloud: Cloud,
    scenario: Callable[[Core], Coroutine[Any, Any, None]],
    **core_options: Any,
) -> None:
    async def whole() -> None:
        core = await start_core(tmp_path, cloud, **core_options)
        try:
            await scenario(core)
        finally:
            await core.close()

    qloop.run_until_complete(whole())


def panel_of(dialog: ConnectionDialog) -> Any:
    assert dialog.account_panel is not None
    return dialog.account_panel


async def ready(dialog: ConnectionDialog) -> None:
    panel = panel_of(dialog)
    await until(lambda: panel.status is not None and not panel.busy, 15, "the account's state")


async def settled(dialog: ConnectionDialog, what: str) -> None:
    """The work a button started has ended (its answer shown)."""
    panel = panel_of(dialog)
    await until(lambda: not panel.busy and not panel.waiting_for_browser, 30, what)


def cloud_settings(tmp_path: Path) -> dict[str, Any]:
    table = tomllib.loads((tmp_path / "settings.toml").read_text()).get("cloud", {})
    assert isinstance(table, dict)
    return table


# ---------------------------------------------------------------------- signing in and out
def test_signing_in_with_the_browser_and_out_again(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    browser = Browser(cloud)

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, browser)
        panel = panel_of(dialog)
        await ready(dialog)
        assert panel.state.text() == "Not signed in"
        assert not panel.sign_out_button.isEnabled()
        assert not dialog.save_button.isVisible()  # the account tab acts at once
        assert "http://localhost:" in panel.set_up.text()
        panel.client_id.setText(CLIENT_ID)
        panel.browser_button.click()
        await settled(dialog, "the sign-in")
        assert panel.state.text() == SITE_LINE
        assert panel.message.text().startswith("Signed in.")
        assert panel.kept.text() == SIGN_IN_STORED
        # The browser was sent to Tesla's page for this client, with pwtray listening on loopback;
        # the page it ended on tells the user to close it.
        (opened,) = browser.opened
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(opened).query))
        assert query["client_id"] == CLIENT_ID
        assert query["redirect_uri"] == f"http://localhost:{panel.port.value()}/callback"
        assert "You can close this tab" in browser.pages[-1].text
        assert panel.url.text() == opened  # shown, for a browser that did not open
        ARTIFACTS.mkdir(exist_ok=True)
        dialog.grab().save(str(ARTIFACTS / "dialog-tesla-account-signed-in.png"))
        # The running app uses the account at once.
        cloud.sim.clear_requests()
        assert (await service(core).read_settings()).mode == "self_consumption"
        assert cloud.paths() == [("GET", "site_info", 200)]

        panel.sign_out_button.click()
        await settled(dialog, "signing out")
        assert panel.state.text() == "Not signed in"
        assert panel.message.text().startswith("Signed out")
        assert panel.client_id.text() == CLIENT_ID
        assert not service(core).connected
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)
    assert REFRESH_KEY not in keyring_backend.items
    assert cloud_settings(tmp_path)["client_id"] == CLIENT_ID  # kept after signing out
    assert cloud_settings(tmp_path)["site_id"] == cloud.sim.config.energy_site_id


def test_a_pasted_refresh_token_signs_in_and_stays_in_no_widget(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    pasted = cloud.sim.config.refresh_token

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, Browser(cloud, visit=False))
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.paste_button.click()
        assert panel.paste_box.isVisible()
        assert panel.token.echoMode() is QLineEdit.EchoMode.Password
        panel.token.setText(pasted)
        panel.token_button.click()
        assert panel.token.text() == ""  # taken at once
        await settled(dialog, "the sign-in")
        assert panel.state.text() == SITE_LINE
        texts = [w.text() for w in dialog.findChildren(QLineEdit)]
        kept = keyring_backend.items[REFRESH_KEY]
        assert not any(secret in t for t in texts for secret in (pasted, kept))
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)
    assert cloud_settings(tmp_path) == {
        "client_id": CLIENT_ID,
        "cloud_url": cloud.url,
        "site_id": cloud.sim.config.energy_site_id,
        "site_name": "Home Energy Gateway",
    }
    assert pasted not in (tmp_path / "settings.toml").read_text()


def test_the_tray_menu_opens_connection_on_the_account_tab(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()

    async def scenario(core: Core) -> None:
        await core.account.sign_in_with_refresh_token(CLIENT_ID, cloud.sim.config.refresh_token)
        controller = Controller(core, Bridge(core.site, core), Notifier(lambda notice: None))
        controller.open_tesla_account()
        dialog = controller.dialogs["connection"]
        assert isinstance(dialog, ConnectionDialog)
        assert dialog.tabs.currentWidget() is dialog.account_panel
        await ready(dialog)
        assert panel_of(dialog).state.text() == SITE_LINE
        assert panel_of(dialog).client_id.text() == CLIENT_ID
        controller.close_dialogs()

    run(qloop, tmp_path, cloud, scenario)


# ---------------------------------------------------------------------- failures, in words
def test_no_client_id_and_a_wrong_one_are_said(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    browser = Browser(cloud)

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, browser)
        panel = panel_of(dialog)
        await ready(dialog)
        panel.browser_button.click()
        await settled(dialog, "the refusal")
        assert panel.message.text().startswith("✖ Enter the client ID of your Tesla application")
        assert browser.opened == []

        panel.client_id.setText("not-my-client")
        panel.paste_button.click()
        panel.token.setText(cloud.sim.config.refresh_token)
        panel.token_button.click()
        await settled(dialog, "Tesla's answer")
        assert panel.message.text() == (
            "✖ Signing in to Tesla did not complete: Tesla does not know this client ID "
            "(unknown client_id)."
        )
        # In the browser, Tesla's own page says so; pwtray's waiting line says what to check.
        panel.browser_button.click()
        await until(lambda: bool(browser.pages), 15, "Tesla's page")
        assert browser.pages[0].status_code == 400
        assert "Unknown application" in browser.pages[0].text
        assert panel.waiting_box.isVisible()
        assert "check the client ID" in panel.waiting.text()
        assert f"http://localhost:{panel.port.value()}/callback" in panel.waiting.text()
        dialog.grab().save(str(ARTIFACTS / "dialog-tesla-account-waiting.png"))
        panel.cancel_button.click()
        await settled(dialog, "the cancel")
        assert panel.message.text() == CANCELLED
        assert panel.state.text() == "Not signed in"
        with socket.socket() as again:  # the listener is gone: its port is free
            again.bind(("127.0.0.1", panel.port.value()))
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)
    assert REFRESH_KEY not in keyring_backend.items
    assert cloud_settings(tmp_path).get("client_id", "") == ""  # failed sign-ins save nothing


def test_a_browser_that_never_answers_and_a_declined_sign_in_are_said(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    silent = Browser(cloud, visit=False)  # the user never finishes on Tesla's page

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, silent, sign_in_timeout_s=0.5)
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.browser_button.click()
        await settled(dialog, "the time-out")
        assert panel.message.text() == (
            "✖ Signing in to Tesla did not complete: no answer from Tesla's sign-in page within "
            "0.5 s; start again when ready."
        )
        assert not panel.waiting_box.isVisible()
        dialog.close()

        cloud.sim.set_fault("deny")  # the user pressed "Deny" on Tesla's page
        declined = account_dialog(qtbot, core, Browser(cloud))
        panel = panel_of(declined)
        await ready(declined)
        panel.client_id.setText(CLIENT_ID)
        panel.browser_button.click()
        await settled(declined, "the refusal")
        assert panel.message.text() == (
            "✖ Signing in to Tesla did not complete: Tesla did not grant access (denied)."
        )
        assert panel.state.text() == "Not signed in"
        declined.close()

    run(qloop, tmp_path, cloud, scenario)


def test_an_unreachable_cloud_is_said(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    nowhere = f"https://127.0.0.1:{free_port()}"  # no internet, or Tesla down

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, Browser(cloud, visit=False))
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.paste_button.click()
        panel.token.setText(cloud.sim.config.refresh_token)
        panel.token_button.click()
        await settled(dialog, "the failure")
        assert panel.message.text().startswith(
            "✖ Cannot reach Tesla's cloud at 127.0.0.1 (the connection was refused). Check this "
            "computer's internet connection"
        )
        assert panel.state.text() == "Not signed in"
        dialog.close()

    run(qloop, tmp_path, cloud, scenario, cloud_url=nowhere)


def test_a_revoked_token_is_said_when_pasted_and_when_tesla_refuses_the_saved_one(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    cloud = cloud_factory()
    pasted = cloud.sim.config.refresh_token

    async def scenario(core: Core) -> None:
        await core.account.sign_in_with_refresh_token(CLIENT_ID, pasted)
        cloud.sim.revoke_tokens()  # the owner removed pwtray's access at tesla.com
        with pytest.raises(SignInRequiredError):
            await service(core).read_settings()  # e.g. the mode dialog opened
        dialog = account_dialog(qtbot, core, Browser(cloud, visit=False))
        panel = panel_of(dialog)
        await ready(dialog)
        assert panel.state.text() == "Sign-in needed again: Tesla refused the saved sign-in"
        assert panel.message.text() == (
            "Tesla no longer accepts the refresh token (revoked, expired or already used). Sign "
            "in again, with the browser or a new refresh token."
        )
        assert panel.sign_out_button.isEnabled()
        dialog.grab().save(str(ARTIFACTS / "dialog-tesla-account-refused.png"))
        panel.paste_button.click()
        panel.token.setText(pasted)  # used once already: Tesla rotated it
        panel.token_button.click()
        await settled(dialog, "Tesla's answer")
        assert panel.message.text() == (
            "✖ Signing in to Tesla did not complete: Tesla no longer accepts the refresh token "
            "(revoked, expired or already used)."
        )
        assert panel.state.text() == "Sign-in needed again: Tesla refused the saved sign-in"
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)


def test_a_missing_permission_is_said_and_the_useless_sign_in_forgotten(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    """On Tesla's page the user unticked "Energy Product Information"."""
    cloud = cloud_factory(granted_scopes=("openid", "offline_access", "energy_cmds"))

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, Browser(cloud))
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.browser_button.click()
        await settled(dialog, "the refusal")
        assert panel.message.text() == (
            "✖ Tesla refused /api/1/products: your sign-in does not include the permission "
            '"Energy Product Information" (energy_device_data) (Tesla said: Unauthorized missing '
            "scopes). Sign in again and leave that permission ticked on Tesla's page."
        )
        assert panel.state.text() == "Not signed in"
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)
    assert REFRESH_KEY not in keyring_backend.items


def test_an_account_with_several_sites_asks_which_one(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
    keyring_backend: MemoryKeyring,
) -> None:
    """Two Powerwall sites on the account, neither with the DIN of the gateway pwtray reads
    (say, it was replaced): the user chooses."""
    cloud = cloud_factory(
        gateway_din="1232100-00-E--TG1111111111AA", other_sites=("1707000-11-J--TG9999999999ZZ",)
    )

    async def scenario(core: Core) -> None:
        dialog = account_dialog(qtbot, core, Browser(cloud))
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.browser_button.click()
        await settled(dialog, "the sites")
        assert panel.message.text().startswith("This Tesla account has 2 energy sites")
        assert panel.state.text() == "Signed in — site not chosen yet"
        assert panel.choice_box.isVisible()
        names = [panel.sites.itemText(i) for i in range(panel.sites.count())]
        assert names[0] == "Home Energy Gateway (1689000000001)"
        assert len(names) == 2
        dialog.grab().save(str(ARTIFACTS / "dialog-tesla-account-choose-site.png"))
        panel.sites.setCurrentIndex(0)
        panel.use_site_button.click()
        await settled(dialog, "the choice")
        assert panel.state.text() == SITE_LINE
        assert not panel.choice_box.isVisible()
        cloud.sim.clear_requests()
        await service(core).read_settings()
        assert cloud.paths() == [("GET", "site_info", 200)]
        dialog.close()

    run(qloop, tmp_path, cloud, scenario)
    assert cloud_settings(tmp_path)["site_id"] == cloud.sim.config.energy_site_id


def test_without_a_keyring_the_sign_in_lasts_the_session_and_says_so(
    qapp: QApplication,
    qtbot: QtBot,
    qloop: asyncio.AbstractEventLoop,
    cloud_factory: CloudFactory,
    tmp_path: Path,
) -> None:
    cloud = cloud_factory()
    backend = NoDefaultKeyring()  # "create a keyring" was cancelled when pwtray started

    async def scenario(core: Core) -> None:
        assert core.tokens.problem is KeyringProblem.NO_DEFAULT
        dialog = account_dialog(qtbot, core, Browser(cloud, visit=False))
        panel = panel_of(dialog)
        await ready(dialog)
        panel.client_id.setText(CLIENT_ID)
        panel.paste_button.click()
        panel.token.setText(cloud.sim.config.refresh_token)
        panel.token_button.click()
        await settled(dialog, "the sign-in")
        assert panel.state.text() == SITE_LINE
        assert panel.kept.text() == (
            "⚠ There is no default keyring, and creating one was cancelled, so pwtray keeps the "
            "Tesla sign-in for this session only (sign in again after it restarts) and does not "
            "ask the keyring again until then."
        )
        assert (await core.account.status()).state is AccountState.SIGNED_IN
        dialog.close()

    with using(backend):
        run(qloop, tmp_path, cloud, scenario)
    assert backend.calls == 1  # the one question at start, and nothing more
