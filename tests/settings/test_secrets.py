"""Passwords go to the keyring, or stay in memory for the session with one clear reason; once
the keyring failed or its prompt was cancelled, it is never asked again in that session."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail

from pwtray.settings import KeyringProblem, KeyringSecrets
from tests.keyrings import (
    CancelledItemKeyring,
    FailingKeyring,
    LockedKeyring,
    MemoryKeyring,
    NoDefaultKeyring,
    PromptingKeyring,
    VanishedKeyring,
    using,
)

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


@pytest.mark.parametrize(
    ("backend", "problem"),
    [
        (NoDefaultKeyring, KeyringProblem.NO_DEFAULT),
        (LockedKeyring, KeyringProblem.LOCKED),
        (CancelledItemKeyring, KeyringProblem.CANCELLED),
        (VanishedKeyring, KeyringProblem.FAILED),
        (fail.Keyring, KeyringProblem.MISSING),
    ],
    indirect=["backend"],
)
def test_without_a_usable_keyring_the_password_lasts_the_session_only(
    backend: KeyringBackend, problem: KeyringProblem, caplog: pytest.LogCaptureFixture
) -> None:
    secrets = KeyringSecrets()
    secrets.set("gw.lan", SECRET)
    assert secrets.get("gw.lan") == SECRET  # this session still connects
    assert not secrets.persistent
    assert secrets.problem is problem
    assert KeyringSecrets().get("gw.lan") is None  # nothing survives the session
    assert SECRET not in caplog.text


@pytest.mark.parametrize(
    "backend", [NoDefaultKeyring, LockedKeyring, CancelledItemKeyring, VanishedKeyring],
    indirect=True,
)  # fmt: skip
def test_after_one_failure_the_keyring_is_not_asked_again(backend: FailingKeyring) -> None:
    """Each call that reaches the keyring can put up a prompt: at most one per session."""
    secrets = KeyringSecrets()
    assert secrets.get("gw.lan") is None  # the first question: its prompt was cancelled
    secrets.set("gw.lan", SECRET)
    secrets.set(f"nut-user:{SECRET}", "other")
    secrets.get("other.lan")
    secrets.delete("gw.lan")
    assert backend.calls == 1
    assert secrets.get(f"nut-user:{SECRET}") == "other"


@pytest.mark.parametrize("backend", [PromptingKeyring], indirect=True)
def test_questions_asked_while_a_prompt_is_open_wait_for_its_answer(
    backend: PromptingKeyring,
) -> None:
    """The wizard's question and the core's store can overlap: they share the one prompt."""
    secrets = KeyringSecrets()
    answers: list[str | None] = []
    first = threading.Thread(target=lambda: answers.append(secrets.get("gw.lan")))
    second = threading.Thread(target=lambda: secrets.set("gw.lan", SECRET))
    first.start()
    assert backend.waiting.wait(10)  # the prompt is open …
    second.start()  # … and a second call comes in
    backend.cancel()
    first.join(10)
    second.join(10)
    assert not first.is_alive()
    assert not second.is_alive()
    assert backend.calls == 1
    assert answers == [None]
    assert secrets.problem is KeyringProblem.NO_DEFAULT
    assert secrets.get("gw.lan") == SECRET
