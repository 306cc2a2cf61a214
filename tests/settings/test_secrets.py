"""Passwords go to the keyring, or stay in memory for the session with a clear message."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from pwtray.settings import KeyringSecrets
from tests.keyrings import LockedKeyring, MemoryKeyring, using

SECRET = "Qz9-k"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    with using(request.param()) as chosen:
        yield chosen


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
