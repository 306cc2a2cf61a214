"""The app's token store (``CloudTokens``): the keyring is read once, in a worker thread, and
never on the event loop; reads come from memory; writes go to the keyring in a worker thread,
in the order they were made — and the rotated refresh token is in the keyring before the new
access token is used, however slowly the keyring answers."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from pwtray.core import CliOptions, CloudTokens, Core
from pwtray.settings import (
    Cloud,
    Connection,
    KeyringProblem,
    KeyringSecrets,
    KeyringTokenStore,
    Settings,
    save,
)
from tests.cloud.conftest import CLIENT_ID, FakeClock
from tests.cloud.conftest import Cloud as SimCloud
from tests.keyrings import MemoryKeyring, PromptingKeyring, using
from tests.waiting import until

REFRESH_KEY = ("pwtray", "tesla-cloud:refresh-token")
ACCESS_KEY = ("pwtray", "tesla-cloud:access-token")


class HoldingKeyring(MemoryKeyring):
    """A keyring that notes which thread called it and, while ``hold`` is set, keeps a write
    waiting (as a slow keyring or an open prompt would) until the test releases it."""

    def __init__(self) -> None:
        super().__init__()
        self.threads: set[str] = set()
        self.writes: list[tuple[str, str]] = []
        self.hold = threading.Event()
        self.waiting = threading.Event()
        self.release = threading.Event()

    def get_password(self, service: str, username: str) -> str | None:
        self.threads.add(threading.current_thread().name)
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        self.threads.add(threading.current_thread().name)
        if self.hold.is_set():
            self.waiting.set()
            self.release.wait(60)
            self.hold.clear()
            self.waiting.clear()
        self.writes.append((username, password))
        super().set_password(service, username, password)


def app_tokens() -> CloudTokens:
    return CloudTokens(KeyringTokenStore(KeyringSecrets()))


async def test_the_keyring_is_read_once_off_the_loop_and_then_from_memory() -> None:
    backend = HoldingKeyring()
    backend.items[REFRESH_KEY] = "NA_kept"
    with using(backend):
        tokens = app_tokens()
        assert tokens.load_refresh_token() is None  # nothing read before load()
        await asyncio.gather(tokens.load(), tokens.load(), tokens.load())
        for _ in range(5):
            assert tokens.load_refresh_token() == "NA_kept"
            assert tokens.load_access_token() is None
        await tokens.load()
    assert backend.calls == 2  # the refresh and the access token, once each
    assert threading.main_thread().name not in backend.threads


async def test_a_new_refresh_token_is_kept_before_the_new_access_token_is_used(
    cloud: SimCloud, clock: FakeClock
) -> None:
    """The keyring is slow to keep the rotated refresh token: nothing uses the new access
    token until it has — and the loop runs on meanwhile."""
    backend = HoldingKeyring()
    with using(backend):
        tokens = app_tokens()
        await cloud.paste_sign_in(tokens, clock)
        async with cloud.client(tokens, clock) as client:
            await client.connect(cloud.din)
            clock.advance(cloud.sim.config.access_ttl_s)  # the next read refreshes first
            backend.hold.set()
            reading = asyncio.ensure_future(client.read_settings())
            await until(backend.waiting.is_set, 30, "the keyring writing the refresh token")
            seen = cloud.sim.requests()
            await asyncio.sleep(0.2)  # the loop runs; the read stays behind the write
            assert not reading.done()
            assert cloud.sim.requests() == seen
            assert (seen[-1].grant_type, seen[-1].status) == ("refresh_token", 200)
            backend.release.set()
            settings = await reading
        assert settings.site_id == cloud.sim.config.energy_site_id
        rotated = tokens.load_refresh_token()
        assert backend.items[REFRESH_KEY] == rotated
        written = [user for user, _ in backend.writes]
        assert written[-2:] == ["tesla-cloud:refresh-token", "tesla-cloud:access-token"]
        new_serial = cloud.sim.requests()[-1].token_serial
        assert new_serial is not None
        assert new_serial > (seen[-2].token_serial or 0)  # the read used the new token
    assert threading.main_thread().name not in backend.threads


async def test_writes_keep_their_order_when_the_caller_is_cancelled() -> None:
    backend = HoldingKeyring()
    with using(backend):
        tokens = app_tokens()
        await tokens.load()
        backend.hold.set()
        first = asyncio.ensure_future(tokens.save_refresh_token("NA_first"))
        await until(backend.waiting.is_set, 30, "the first write")
        first.cancel()  # e.g. the dialog closed; the write itself goes on
        second = asyncio.ensure_future(tokens.save_refresh_token("NA_second"))
        await asyncio.sleep(0.1)
        assert not second.done()  # waits for the first
        backend.release.set()
        await second
        await tokens.close()
    assert [token for _, token in backend.writes] == ["NA_first", "NA_second"]
    assert backend.items[REFRESH_KEY] == "NA_second"


async def test_a_token_from_the_environment_never_touches_the_keyring(
    cloud: SimCloud, clock: FakeClock
) -> None:
    backend = MemoryKeyring()
    with using(backend):
        tokens = CloudTokens(None, refresh_token=cloud.sim.config.refresh_token)
        async with cloud.client(tokens, clock) as client:
            await client.connect(cloud.din)
            await tokens.clear()
    assert backend.calls == 0
    assert not tokens.in_keyring


async def test_unlocking_asks_the_keyring_once_for_the_password_and_the_tokens(
    tmp_path: Path, cloud: SimCloud
) -> None:
    """At start the keyring's prompt ("create a keyring") is open while pwtray runs; the user
    cancels it: neither the tokens nor anything later asks again."""
    gateway = cloud.gateway
    settings_path = tmp_path / "settings.toml"
    save(Settings(connection=Connection(host=gateway.address, fingerprint=gateway.fingerprint),
                  cloud=Cloud(client_id=CLIENT_ID)), settings_path)  # fmt: skip
    backend = PromptingKeyring()
    with using(backend):
        core = await Core.start(
            CliOptions(cloud_url=cloud.url, cloud_ca=str(cloud.sim.ca_path)),
            settings_path=settings_path, data_folder=tmp_path / "data",
            log_folder=tmp_path / "log", secrets=KeyringSecrets(), unlock=False,
        )  # fmt: skip
        try:
            unlocking = asyncio.ensure_future(core.unlock())
            await until(backend.waiting.is_set, 10, "the keyring's prompt")
            await asyncio.sleep(0.2)  # the loop runs while the prompt is open
            assert not unlocking.done()
            backend.cancel()
            await unlocking
            assert core.tokens.loaded
            assert core.tokens.problem is KeyringProblem.NO_DEFAULT
            status = await core.account.sign_in_with_refresh_token(
                CLIENT_ID, cloud.sim.config.refresh_token
            )
            assert status.keyring is KeyringProblem.NO_DEFAULT  # kept for this session only
            assert (await core.site.commands.cloud.read_settings()).mode  # type: ignore[union-attr]
        finally:
            await core.close()
    assert backend.calls == 1
    assert cloud.sim.config.refresh_token not in settings_path.read_text()
