"""Passwords go to the keyring, or stay in memory for the session with a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

from pwtray.settings import KeyringSecrets

SECRET = "Qz9-k"


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("collection is locked")


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    chosen: KeyringBackend = request.param()
    keyring.set_keyring(chosen)
    yield chosen
    keyring.set_keyring(previous)


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_the_password_is_kept_in_the_keyring(backend: MemoryKeyring) -> None:
    secrets = KeyringSecrets()
    assert secrets.get("gw.lan") is None
    secrets.set("gw.lan", SECRET)
    assert backend.items == {("pwtray", "gw.lan"): SECRET}
    assert KeyringSecrets().get("gw.lan") == SECRET  # another run finds it
    secrets.delete("gw.lan")
    secrets.delete("gw.lan")  # deleting twice is fine
    assert backend.items == {}
    assert secrets.persistent


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring], indirect=True)
def test_without_a_usable_keyring_the_password_lasts_the_session_only(
    backend: KeyringBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = KeyringSecrets()
    secrets.set("gw.lan", SECRET)
    assert secrets.get("gw.lan") == SECRET  # this session still connects
    assert not secrets.persistent
    assert secrets.problem is not None
    assert "for this session only" in secrets.problem
    expected = "locked" if isinstance(backend, LockedKeyring) else "no system keyring"
    assert expected in secrets.problem
    assert KeyringSecrets().get("gw.lan") is None  # nothing survives the session
    assert SECRET not in caplog.text
    assert SECRET not in secrets.problem
