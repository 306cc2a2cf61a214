"""Connecting a Tesla account through the core, as the Connection dialog does: the account is
saved in settings.toml (never a token), the running app uses it at once, a restart finds it
(the tokens read from the keyring when unlocking — the real gnome-keyring here), signing out
forgets the tokens and keeps the client ID, and a sign-in Tesla refused is said once."""

from __future__ import annotations

import asyncio
import threading
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from pwtray.cloud import SignInRequiredError
from pwtray.core import AccountState, CliOptions, CloudService, Core
from pwtray.core.words import account_line
from pwtray.gateway import OperationMode
from pwtray.settings import Connection, KeyringSecrets, Settings, save
from tests.cloud.conftest import CLIENT_ID, Cloud, browse
from tests.conftest import PASSWORD
from tests.keyrings import MemoryKeyring, using
from tests.secretservice import secret_service
from tests.waiting import until

SITE_LINE = "Signed in — site Home Energy Gateway (1689000000001)"


@pytest.fixture
def keyring_backend() -> Iterator[MemoryKeyring]:
    with using(MemoryKeyring()) as backend:
        assert isinstance(backend, MemoryKeyring)
        yield backend


async def start_core(tmp_path: Path, cloud: Cloud) -> Core:
    """The tray app's core with the simulated cloud given on the command line."""
    settings_path = tmp_path / "settings.toml"
    gateway = cloud.gateway
    if not settings_path.exists():
        connection = Connection(host=gateway.address, fingerprint=gateway.fingerprint)
        save(Settings(connection=connection), settings_path)
        KeyringSecrets().set(gateway.address, PASSWORD)
    return await Core.start(
        CliOptions(cloud_url=cloud.url, cloud_ca=str(cloud.sim.ca_path)),
        settings_path=settings_path,
        data_folder=tmp_path / "data",
        log_folder=tmp_path / "log",
        secrets=KeyringSecrets(),
    )


def service(core: Core) -> CloudService:
    cloud = core.site.commands.cloud
    assert cloud is not None
    return cloud


def cloud_settings(tmp_path: Path) -> dict[str, object]:
    table = tomllib.loads((tmp_path / "settings.toml").read_text())["cloud"]
    assert isinstance(table, dict)
    return table


async def test_a_pasted_token_connects_the_running_app_and_the_next_run(
    tmp_path: Path, cloud: Cloud, keyring_backend: MemoryKeyring
) -> None:
    pasted = cloud.sim.config.refresh_token
    core = await start_core(tmp_path, cloud)
    try:
        assert account_line(await core.account.status()) == "Not signed in"
        status = await core.account.sign_in_with_refresh_token(f" {CLIENT_ID} ", pasted)
        assert status.state is AccountState.SIGNED_IN
        assert account_line(status) == SITE_LINE
        # The running app uses the account now: no restart.
        cloud.sim.clear_requests()
        assert (await service(core).read_settings()).mode == "self_consumption"
        assert cloud.paths() == [("GET", "site_info", 200)]
    finally:
        await core.close()
    assert cloud_settings(tmp_path) == {
        "client_id": CLIENT_ID,
        "cloud_url": cloud.url,
        "site_id": cloud.sim.config.energy_site_id,
        "site_name": "Home Energy Gateway",
    }
    text = (tmp_path / "settings.toml").read_text()
    kept = keyring_backend.items[("pwtray", "tesla-cloud:refresh-token")]
    access = keyring_backend.items[("pwtray", "tesla-cloud:access-token")]
    for secret in (pasted, kept, access):
        assert secret not in text

    cloud.sim.clear_requests()
    again = await start_core(tmp_path, cloud)  # the next run
    try:
        assert again.tokens.loaded  # read when unlocking
        assert account_line(await again.account.status()) == SITE_LINE
        assert cloud.sim.requests() == []  # knowing that cost no call to Tesla
        await service(again).read_settings()
        assert cloud.paths() == [("GET", "site_info", 200)]  # site remembered, token valid
        signed_out = await again.account.sign_out()
        assert signed_out.state is AccountState.SIGNED_OUT
        assert signed_out.client_id == CLIENT_ID  # kept for the next sign-in
        assert not service(again).connected
    finally:
        await again.close()
    assert ("pwtray", "tesla-cloud:refresh-token") not in keyring_backend.items
    assert ("pwtray", "tesla-cloud:access-token") not in keyring_backend.items
    assert cloud_settings(tmp_path)["client_id"] == CLIENT_ID


async def test_a_refused_sign_in_is_said_and_a_new_one_works_at_once(
    tmp_path: Path, cloud: Cloud, keyring_backend: MemoryKeyring
) -> None:
    core = await start_core(tmp_path, cloud)
    try:
        await core.account.sign_in_with_refresh_token(CLIENT_ID, cloud.sim.config.refresh_token)
        cloud.sim.revoke_tokens()  # the owner removed pwtray's access at tesla.com
        with pytest.raises(SignInRequiredError):
            await service(core).read_settings()
        refused = await core.account.status()
        assert refused.state is AccountState.SIGN_IN_NEEDED
        assert account_line(refused) == "Sign-in needed again: Tesla refused the saved sign-in"
        assert "no longer accepts the refresh token" in refused.refusal
        cloud.sim.clear_requests()
        with pytest.raises(SignInRequiredError):
            await service(core).read_settings()
        assert cloud.sim.requests() == []  # said again without asking Tesla again

        def browser(url: str) -> None:
            asyncio.get_running_loop().create_task(browse(url, cloud))

        status = await core.account.sign_in_with_browser(CLIENT_ID, open_browser=browser, port=0)
        assert account_line(status) == SITE_LINE
        assert (await service(core).read_settings()).mode == "self_consumption"
    finally:
        await core.close()


async def test_a_command_in_flight_finishes_while_the_user_signs_in_again(
    tmp_path: Path, cloud: Cloud, keyring_backend: MemoryKeyring
) -> None:
    core = await start_core(tmp_path, cloud)
    answer = threading.Event()
    reached = threading.Event()

    def tesla_thinking() -> None:  # the reserve change is made; Tesla's answer is slow
        reached.set()
        answer.wait(60)

    try:
        await core.account.sign_in_with_refresh_token(CLIENT_ID, cloud.sim.config.refresh_token)
        cloud.sim.after_next("/backup", tesla_thinking)
        command = asyncio.ensure_future(
            service(core).set_operation(OperationMode.SELF_CONSUMPTION, 40)
        )
        await until(reached.is_set, 30, "the reserve change at Tesla")

        def browser(url: str) -> None:
            asyncio.get_running_loop().create_task(browse(url, cloud))

        status = await core.account.sign_in_with_browser(CLIENT_ID, open_browser=browser, port=0)
        assert account_line(status) == SITE_LINE
        answer.set()
        result = await command  # its client was replaced, not closed under it
        assert result.reported == 40
        assert (await service(core).read_settings()).reserve_percent == 40
    finally:
        answer.set()
        await core.close()


async def test_the_real_keyring_keeps_the_sign_in_for_the_next_run(
    tmp_path: Path, cloud: Cloud, monkeypatch: pytest.MonkeyPatch
) -> None:
    with secret_service(tmp_path / "keyring", monkeypatch, login_password="login") as keyring:
        core = await start_core(tmp_path, cloud)
        try:
            await core.account.sign_in_with_refresh_token(CLIENT_ID, cloud.sim.config.refresh_token)
        finally:
            await core.close()
        again = await start_core(tmp_path, cloud)
        try:
            assert account_line(await again.account.status()) == SITE_LINE
            cloud.sim.clear_requests()
            await service(again).read_settings()
            assert cloud.paths() == [("GET", "site_info", 200)]
            await again.account.sign_out()
        finally:
            await again.close()
        files = [p for p in keyring.data.rglob("*") if p.is_file()]
        assert files
        assert all(cloud.sim.config.refresh_token.encode() not in p.read_bytes() for p in files)
        third = await start_core(tmp_path, cloud)
        try:
            assert (await third.account.status()).state is AccountState.SIGNED_OUT
        finally:
            await third.close()
