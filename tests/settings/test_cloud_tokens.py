"""Tesla tokens in the keyring: two entries, each replaced in one step, through the same gate as
the gateway's password — after the keyring failed or its prompt was cancelled, the tokens ask it
nothing more and are kept for the session only, with the same reason. Nothing is ever written
to a file or a log."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from pwtray.settings import KeyringProblem, KeyringSecrets, KeyringTokenStore
from tests.keyrings import (
    CancelledItemKeyring,
    FailingKeyring,
    LockedKeyring,
    MemoryKeyring,
    NoDefaultKeyring,
    VanishedKeyring,
    using,
)

REFRESH = "NA_0123456789abcdef"
ACCESS = "eyJhbGciOi.not-a-real.token"


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> Iterator[KeyringBackend]:
    with using(request.param()) as chosen:
        yield chosen


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_tokens_are_kept_in_the_keyring(backend: MemoryKeyring) -> None:
    store = KeyringTokenStore(KeyringSecrets())
    empty = store.read()
    assert (empty.refresh_token, empty.access_token) == (None, None)
    store.write_refresh_token(REFRESH)
    store.write_access_token(ACCESS, 1_800_000_000.5)
    assert set(backend.items) == {
        ("pwtray", "tesla-cloud:refresh-token"),
        ("pwtray", "tesla-cloud:access-token"),
    }
    again = KeyringTokenStore(KeyringSecrets())  # the next run
    saved = again.read()
    assert saved.refresh_token == REFRESH
    assert saved.access_token == (ACCESS, 1_800_000_000.5)
    store.write_refresh_token("NA_rotated")  # replaced, never two
    assert again.read().refresh_token == "NA_rotated"
    for text in (repr(store), repr(saved)):
        assert REFRESH not in text
        assert ACCESS not in text
    again.clear()
    again.clear()  # signing out twice is fine
    assert backend.items == {}
    assert store.problem is None
    with pytest.raises(ValueError, match="empty refresh token"):
        store.write_refresh_token("")


@pytest.mark.parametrize("backend", [MemoryKeyring], indirect=True)
def test_an_unreadable_access_token_entry_means_fetching_a_new_one(
    backend: MemoryKeyring,
) -> None:
    backend.items[("pwtray", "tesla-cloud:access-token")] = "{not json"
    backend.items[("pwtray", "tesla-cloud:refresh-token")] = REFRESH
    saved = KeyringTokenStore(KeyringSecrets()).read()
    assert (saved.refresh_token, saved.access_token) == (REFRESH, None)


FAILURES = [
    (NoDefaultKeyring, KeyringProblem.NO_DEFAULT),
    (LockedKeyring, KeyringProblem.LOCKED),
    (CancelledItemKeyring, KeyringProblem.CANCELLED),
    (VanishedKeyring, KeyringProblem.FAILED),
]


@pytest.mark.parametrize(("failing", "problem"), FAILURES)
def test_after_the_passwords_prompt_was_cancelled_the_tokens_ask_nothing_more(
    failing: type[FailingKeyring], problem: KeyringProblem
) -> None:
    """The app reads the gateway's password first; that prompt is cancelled; reading and
    keeping the tokens then reaches the keyring not once (each call could be a prompt)."""
    backend = failing()
    with using(backend):
        secrets = KeyringSecrets()
        # unlock: the one prompt, cancelled (the gateway's address is a keyring key, an example)
        assert secrets.get("192.168.1.50") is None  # example
        store = KeyringTokenStore(secrets)
        saved = store.read()
        assert (saved.refresh_token, saved.access_token) == (None, None)
        store.write_refresh_token(REFRESH)
        store.write_access_token(ACCESS, 5.0)
        assert store.read().refresh_token == REFRESH  # this session keeps working
        assert store.read().access_token == (ACCESS, 5.0)
        store.clear()
        assert store.read().refresh_token is None
    assert backend.calls == 1
    assert store.problem is problem  # the same reason as the password's


@pytest.mark.parametrize(
    ("make", "problem"),
    [(fail.Keyring, KeyringProblem.MISSING), (LockedKeyring, KeyringProblem.LOCKED)],
)
def test_without_a_usable_keyring_the_sign_in_lasts_the_session_only(
    make: type[KeyringBackend],
    problem: KeyringProblem,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with using(make()):
        store = KeyringTokenStore(KeyringSecrets())
        store.write_refresh_token(REFRESH)
        store.write_access_token(ACCESS, 5.0)
        assert store.read().refresh_token == REFRESH
        assert store.problem is problem
        assert KeyringTokenStore(KeyringSecrets()).read().refresh_token is None  # gone next run
    assert list(tmp_path.iterdir()) == []
    for secret in (REFRESH, ACCESS):
        assert secret not in caplog.text
