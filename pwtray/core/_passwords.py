"""The keyring as the app uses it: every call in a worker thread.

A keyring call may put up a prompt ("choose a password for the new keyring", "unlock the login
keyring") and wait for as long as it stays open. Run on the GUI thread, that froze the whole app
— its windows and its tray item — until the prompt was answered. Dialogs and the core reach the
keyring only through here.
"""

from __future__ import annotations

import asyncio

from pwtray.settings import KeyringProblem, SecretStore


class Passwords:
    """Asynchronous access to a :class:`~pwtray.settings.SecretStore` (which is blocking)."""

    def __init__(self, store: SecretStore) -> None:
        self._store = store

    @property
    def problem(self) -> KeyringProblem | None:
        """Why passwords last this session only (None: the keyring keeps them, or not known yet)."""
        return self._store.problem

    async def get(self, host: str) -> str | None:
        return await asyncio.to_thread(self._store.get, host)

    async def set(self, host: str, password: str) -> None:
        await asyncio.to_thread(self._store.set, host, password)

    async def delete(self, host: str) -> None:
        await asyncio.to_thread(self._store.delete, host)
