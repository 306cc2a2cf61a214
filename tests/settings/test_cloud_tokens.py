"""Tesla tokens go to the keyring (two entries, each replaced in one step), or stay in memory
for the session with a clear message; nothing is ever written to a file or a log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from pwtray.cloud import TokenStore
from pwtray.settings import KeyringTokenStore
from tests.keyrings import LockedKeyring, MemoryKeyring, using

REFRESH = "NA_0123456789abcdef"
ACCESS = "eyJhbGciOi.not-a-real.token"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    with using(request.param()) as chosen:
        yield chosen


def test_it_is_a_token_store() -> None:
    store: TokenStore = KeyringTokenStore()  # mypy checks the protocol here
    assert store.problem is None


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_tokens_are_kept_in_the_keyring(backend: MemoryKeyring) -> None:
    store = KeyringTokenStore()
    assert store.load_refresh_token() is None
    assert store.load_access_token() is None
    store.save_refresh_token(REFRESH)
    store.save_access_token(ACCESS, 1_800_000_000.5)
    assert set(backend.items) == {
        ("pwtray", "tesla-cloud:refresh-token"),
        ("pwtray", "tesla-cloud:access-token"),
    }
    again = KeyringTokenStore()  # the next run
    assert again.load_refresh_token() == REFRESH
    assert again.load_access_token() == (ACCESS, 1_800_000_000.5)
    store.save_refresh_token("NA_rotated")  # replaced, never two
    assert again.load_refresh_token() == "NA_rotated"
    assert REFRESH not in repr(store)
    assert ACCESS not in repr(store)
    again.clear()
    again.clear()  # signing out twice is fine
    assert backend.items == {}
    assert store.persistent
    with pytest.raises(ValueError, match="empty refresh token"):
        store.save_refresh_token("")


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_an_unreadable_access_token_entry_means_fetching_a_new_one(
    backend: MemoryKeyring,
) -> None:
    backend.items[("pwtray", "tesla-cloud:access-token")] = "{not json"
    assert KeyringTokenStore().load_access_token() is None


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring], indirect=True)
def test_without_a_usable_keyring_the_sign_in_lasts_the_session_only(
    backend: KeyringBackend, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = KeyringTokenStore()
    store.save_refresh_token(REFRESH)
    store.save_access_token(ACCESS, 5.0)
    assert store.load_refresh_token() == REFRESH  # this session keeps working
    assert store.load_access_token() == (ACCESS, 5.0)
    assert not store.persistent
    assert store.problem is not None
    assert "The Tesla sign-in cannot be stored" in store.problem
    assert "for this session only" in store.problem
    assert "sign in again after a restart" in store.problem
    expected = "locked" if isinstance(backend, LockedKeyring) else "no system keyring"
    assert expected in store.problem
    assert KeyringTokenStore().load_refresh_token() is None  # nothing survives the session
    assert list(tmp_path.iterdir()) == []
    for secret in (REFRESH, ACCESS):
        assert secret not in caplog.text
        assert secret not in store.problem
