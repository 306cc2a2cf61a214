"""Passwords in the OS keyring, behind a small interface.

A keyring call may show a prompt ("create a keyring", "unlock the keyring") and wait for the user,
so it must never run on the GUI thread: the app reaches this store only through
:class:`pwtray.core.Passwords`, which runs every call in a worker thread.

At most one prompt per session: calls are serialised, and once the keyring failed or its prompt
was cancelled the store stops asking it. A password given in this session is then kept in memory
only, never written anywhere, and ``problem`` says why (as a :class:`KeyringProblem`;
``pwtray.core.words`` says it in a sentence).

``keyring`` is imported on the first call, in that worker thread, and none of it at all when the
password comes from ``PWTRAY_PASSWORD`` or the demo. The tray app on Linux goes further
(``separate_process=True``): there keyring's Secret Service back-end brings secretstorage and
cryptography (10 MB that would stay for the one password read at start), so each call is made by
a short-lived child process (:mod:`pwtray.settings._keyring_child`).
"""

from __future__ import annotations

import contextlib
import enum
import logging
import threading
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pwtray.settings._keyring_child import ChildKeyring

log = logging.getLogger(__name__)
SERVICE = "pwtray"
NUT_ACCOUNT_PREFIX = "nut-user:"  # never a gateway address, so never mistaken for one


class KeyringProblem(enum.Enum):
    """Why the system keyring does not keep passwords in this session."""

    NO_DEFAULT = "no default keyring"  # none to store into, and creating one was cancelled
    CANCELLED = "prompt cancelled"  # the keyring asked something and the prompt was cancelled
    LOCKED = "locked"  # the keyring is locked and was not unlocked
    MISSING = "no keyring"  # no keyring service in this session at all
    FAILED = "failed"  # the keyring service did not answer as it should


def nut_account(username: str) -> str:
    """Where the NUT server user's password is kept in a SecretStore, beside the gateways'.

    ``secrets.set(nut_account("monuser"), password)``; ``secrets.get(...)`` gives it back (or
    ``None``), with the same keyring and the same session-only fallback as gateway passwords.
    """
    return NUT_ACCOUNT_PREFIX + username


class KeyringChildError(Exception):
    """A keyring call a child process made failed: ``problem`` says why, ``error`` names the
    exception type there (never its message, which might quote a secret)."""

    def __init__(self, problem: KeyringProblem, error: str) -> None:
        super().__init__(f"{problem.value} ({error})")
        self.problem = problem
        self.error = error


class SecretStore(Protocol):
    problem: KeyringProblem | None

    def get(self, host: str) -> str | None: ...

    def set(self, host: str, password: str) -> None: ...

    def delete(self, host: str) -> None: ...


class KeyringSecrets:
    """The system keyring (Secret Service, KWallet, Windows Credential Manager, macOS Keychain).

    Blocking (a call may wait for the user to answer a prompt): call it from a worker thread.
    ``separate_process``: each call is made by a child process, so that the keyring's back-end
    never loads into this one (the tray app on Linux).
    """

    def __init__(self, service: str = SERVICE, *, separate_process: bool = False) -> None:
        self.service = service
        self.problem: KeyringProblem | None = None
        self._session: dict[str, str] = {}
        self._lock = threading.Lock()  # a second call waits for the first one's prompt
        self._child: ChildKeyring | None = None
        if separate_process:
            from pwtray.settings._keyring_child import ChildKeyring

            self._child = ChildKeyring()

    @property
    def persistent(self) -> bool:
        return self.problem is None

    def get(self, host: str) -> str | None:
        with self._lock:
            if host in self._session or self.problem is not None:
                return self._session.get(host)
            try:
                return self._get(host)
            except Exception as exc:  # noqa: BLE001 - a back-end may raise anything (see classify)
                self._give_up(exc)
                return None

    def set(self, host: str, password: str) -> None:
        with self._lock:
            if self.problem is None:
                try:
                    self._set(host, password)
                except Exception as exc:  # noqa: BLE001 - a back-end may raise anything
                    self._give_up(exc)
                else:
                    self._session.pop(host, None)
                    return
            self._session[host] = password

    def delete(self, host: str) -> None:
        with self._lock:
            self._session.pop(host, None)
            if self.problem is not None:
                return
            try:
                self._delete(host)
            except Exception as exc:  # noqa: BLE001 - a back-end may raise anything
                self._give_up(exc)

    # The keyring's own calls, here or in a child process; they raise what the back-end raised.
    def _get(self, host: str) -> str | None:
        if self._child is not None:
            return self._child.get(self.service, host)
        import keyring

        return keyring.get_password(self.service, host)

    def _set(self, host: str, password: str) -> None:
        if self._child is not None:
            self._child.set(self.service, host, password)
            return
        import keyring

        keyring.set_password(self.service, host, password)

    def _delete(self, host: str) -> None:
        """Nothing stored is not a failure."""
        if self._child is not None:
            self._child.delete(self.service, host)
            return
        import keyring
        from keyring.errors import PasswordDeleteError

        with contextlib.suppress(PasswordDeleteError):  # nothing stored: nothing to do
            keyring.delete_password(self.service, host)

    def _give_up(self, exc: Exception) -> None:
        self.problem = classify(exc)
        # The kind and the exception's type only: never a message that might quote a secret.
        error = exc.error if isinstance(exc, KeyringChildError) else type(exc).__name__
        log.warning("keyring unusable (%s, %s): passwords are kept for this session only",
                    self.problem.value, error)  # fmt: skip


def classify(exc: BaseException) -> KeyringProblem:
    """What a keyring failure means for the user, from the exception's type and its causes.

    The Secret Service back-end raises ``InitError`` from secretstorage's
    ``PromptDismissedException`` when the user cancels creating the default keyring,
    ``KeyringLocked`` when the unlock prompt was cancelled, and secretstorage's or jeepney's own
    exceptions (not ``KeyringError``) for a prompt cancelled later or a service that vanished.
    A child process's failure (:mod:`pwtray.settings._keyring_child`) carries its own answer.
    """
    if isinstance(exc, KeyringChildError):
        return exc.problem
    from keyring.errors import InitError, KeyringLocked, NoKeyringError

    dismissed = any(_is_prompt_dismissed(e) for e in _chain(exc))
    if isinstance(exc, NoKeyringError):
        return KeyringProblem.MISSING
    if isinstance(exc, InitError) and dismissed:
        return KeyringProblem.NO_DEFAULT
    if isinstance(exc, KeyringLocked):
        return KeyringProblem.LOCKED
    if dismissed:
        return KeyringProblem.CANCELLED
    return KeyringProblem.FAILED


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def _is_prompt_dismissed(exc: BaseException) -> bool:
    try:  # secretstorage exists only where the Secret Service back-end does (Linux)
        from secretstorage.exceptions import PromptDismissedException
    except ImportError:
        return False
    return isinstance(exc, PromptDismissedException)


class SessionSecrets:
    """Memory only, for the demo: its simulator's password never reaches the real keyring."""

    def __init__(self) -> None:
        self.problem: KeyringProblem | None = None
        self._items: dict[str, str] = {}

    def get(self, host: str) -> str | None:
        return self._items.get(host)

    def set(self, host: str, password: str) -> None:
        self._items[host] = password

    def delete(self, host: str) -> None:
        self._items.pop(host, None)
