"""Passwords in the OS keyring, behind a small interface.

With no usable keyring (headless session, locked or missing Secret Service), a password given in
this session is kept in memory only, never written anywhere, and ``problem`` says so in words.
"""

from __future__ import annotations

import logging
from typing import Protocol

import keyring
from keyring.errors import KeyringError, KeyringLocked, NoKeyringError, PasswordDeleteError

log = logging.getLogger(__name__)
SERVICE = "pwtray"
NUT_ACCOUNT_PREFIX = "nut-user:"  # never a gateway address, so never mistaken for one


def nut_account(username: str) -> str:
    """Where the NUT server user's password is kept in a SecretStore, beside the gateways'.

    ``secrets.set(nut_account("monuser"), password)``; ``secrets.get(...)`` gives it back (or
    ``None``), with the same keyring and the same session-only fallback as gateway passwords.
    """
    return NUT_ACCOUNT_PREFIX + username


class SecretStore(Protocol):
    problem: str | None

    def get(self, host: str) -> str | None: ...

    def set(self, host: str, password: str) -> None: ...

    def delete(self, host: str) -> None: ...


class KeyringSecrets:
    """The system keyring (Secret Service, Windows Credential Manager, macOS Keychain)."""

    def __init__(self, service: str = SERVICE) -> None:
        self.service = service
        self.problem: str | None = None
        self._session: dict[str, str] = {}

    @property
    def persistent(self) -> bool:
        return self.problem is None

    def get(self, host: str) -> str | None:
        if host in self._session:
            return self._session[host]
        try:
            return keyring.get_password(self.service, host)
        except KeyringError as exc:
            self._unusable(exc)
            return None

    def set(self, host: str, password: str) -> None:
        try:
            keyring.set_password(self.service, host, password)
        except KeyringError as exc:
            self._unusable(exc)
            self._session[host] = password
        else:
            self._session.pop(host, None)

    def delete(self, host: str) -> None:
        self._session.pop(host, None)
        try:
            keyring.delete_password(self.service, host)
        except PasswordDeleteError:
            pass  # nothing stored
        except KeyringError as exc:
            self._unusable(exc)

    def _unusable(self, exc: KeyringError) -> None:
        if isinstance(exc, KeyringLocked):
            reason = "the system keyring is locked"
        elif isinstance(exc, NoKeyringError):
            reason = "there is no system keyring in this session"
        else:
            reason = f"the system keyring failed ({type(exc).__name__})"
        self.problem = (
            f"The password cannot be stored: {reason}. pwtray keeps it for this session only "
            "and will ask again after a restart. Unlock or install a keyring (for example "
            "GNOME Keyring or KWallet) to keep it."
        )
        log.warning("keyring unusable: %s", reason)  # the reason only; never the password


class SessionSecrets:
    """Memory only, for the demo: its simulator's password never reaches the real keyring."""

    def __init__(self) -> None:
        self.problem: str | None = None
        self._items: dict[str, str] = {}

    def get(self, host: str) -> str | None:
        return self._items.get(host)

    def set(self, host: str, password: str) -> None:
        self._items[host] = password

    def delete(self, host: str) -> None:
        self._items.pop(host, None)
