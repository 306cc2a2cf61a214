"""In-memory keyring back-ends for tests (never keyrings.alt): a working one, and ones that fail
the way the real back-ends do — with the exact exceptions keyring's Secret Service back-end raises
for each prompt a user cancels. Each counts the calls that reached it: on a desktop, each such
call can put up a prompt."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import InitError, KeyringLocked, PasswordDeleteError
from secretstorage.exceptions import PromptDismissedException, SecretServiceNotAvailableException


class MemoryKeyring(KeyringBackend):
    priority = 1

    def __init__(self) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.items: dict[tuple[str, str], str] = {}
        self.calls = 0

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        return self.items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        self.items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        if self.items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


class FailingKeyring(MemoryKeyring):
    """Every call fails as ``failure()`` says (after any prompt it would show)."""

    def failure(self) -> Exception:
        raise NotImplementedError

    def get_password(self, service: str, username: str) -> str | None:
        self.calls += 1
        raise self.failure()

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls += 1
        raise self.failure()

    def delete_password(self, service: str, username: str) -> None:
        self.calls += 1
        raise self.failure()


class NoDefaultKeyring(FailingKeyring):
    """gnome-keyring without a login keyring, "Choose password for new keyring" cancelled."""

    def failure(self) -> Exception:
        # as keyring.backends.SecretService.Keyring.get_preferred_collection raises it:
        # raise InitError(f"Failed to create the collection: {e}.") from e
        dismissed = PromptDismissedException("Prompt dismissed.")
        error = InitError(f"Failed to create the collection: {dismissed}.")
        error.__cause__ = dismissed
        return error


class LockedKeyring(FailingKeyring):
    """A locked login keyring whose unlock prompt was cancelled."""

    def failure(self) -> Exception:
        return KeyringLocked("Failed to unlock the collection!")


class CancelledItemKeyring(FailingKeyring):
    """A prompt for one item cancelled: secretstorage's own exception, not a KeyringError."""

    def failure(self) -> Exception:
        return PromptDismissedException("Prompt dismissed.")


class VanishedKeyring(FailingKeyring):
    """The Secret Service daemon went away after pwtray chose this back-end."""

    def failure(self) -> Exception:
        return SecretServiceNotAvailableException(
            "The name org.freedesktop.secrets was not provided"
        )


class PromptingKeyring(NoDefaultKeyring):
    """Shows a "prompt" that waits until the test answers it (``cancel()``), then fails as a
    cancelled create-keyring prompt does. ``waiting`` is set while the prompt is open."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = threading.Event()
        self._answered = threading.Event()

    def cancel(self) -> None:
        self._answered.set()

    def failure(self) -> Exception:
        self.waiting.set()
        self._answered.wait(60)
        self.waiting.clear()
        return super().failure()


@contextmanager
def using(backend: KeyringBackend) -> Iterator[KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)
