"""The Tesla account's tokens as the app uses them: never a keyring call on the event loop.

A keyring call may put up a prompt and wait for the user; made on the GUI thread it froze the
tray until the prompt was answered (see :mod:`pwtray.core._passwords`). So both tokens are read
from the keyring once, in a worker thread (when the core unlocks, right after the gateway's
password, through the same :class:`~pwtray.settings.KeyringSecrets` and so the same single
prompt); reads are then answered from memory. Every write goes to the keyring in a worker
thread, in the order it was made, and is awaited: the cloud client stores a new refresh token
and waits for that write before it uses the new access token (Tesla has retired the old refresh
token by then; a crash must never lose the only valid one).

This is the :class:`pwtray.cloud.TokenStore` the app, ``pwtray set`` and ``pwtray cloud`` use.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from pwtray.settings import KeyringProblem, KeyringTokenStore

log = logging.getLogger(__name__)
ENV_SIGN_IN_REPLACED = (
    "Tesla replaced the refresh token given in PWTRAY_CLOUD_REFRESH_TOKEN, which may not be "
    "accepted again. To stay signed in across runs, sign in once with `pwtray cloud login` "
    "(or `--paste` it): pwtray then keeps the newest token in the system keyring."
)


class CloudTokens:
    """Tokens in memory, kept in the keyring behind them (``keyring=None``: memory only, for the
    demo and for a refresh token given in ``PWTRAY_CLOUD_REFRESH_TOKEN``)."""

    def __init__(
        self, keyring: KeyringTokenStore | None, *, refresh_token: str | None = None
    ) -> None:
        self._keyring = keyring
        self._refresh = refresh_token
        self._given = refresh_token  # PWTRAY_CLOUD_REFRESH_TOKEN's, if any
        self._access: tuple[str, float] | None = None
        self._loading: asyncio.Task[None] | None = None
        self._loaded = keyring is None
        self._last_write: asyncio.Future[None] | None = None

    def __repr__(self) -> str:
        return f"CloudTokens({self._keyring!r}, tokens=<hidden>)"

    @property
    def problem(self) -> KeyringProblem | None:
        """Why the sign-in lasts this session only (None: the keyring keeps it, or not asked)."""
        return None if self._keyring is None else self._keyring.problem

    @property
    def in_keyring(self) -> bool:
        """False: these tokens are never written anywhere (the demo, or an environment token)."""
        return self._keyring is not None

    @property
    def given_token_replaced(self) -> bool:
        """True once Tesla replaced the refresh token given in PWTRAY_CLOUD_REFRESH_TOKEN: the
        new one lives in this process only, and the given one may not be accepted again."""
        return self._given is not None and self._refresh != self._given

    @property
    def loaded(self) -> bool:
        return self._loaded

    # ------------------------------------------------------------------ reading
    async def load(self) -> None:
        """Read both tokens from the keyring, once, in a worker thread. Callers that come while
        the keyring is being asked (its prompt open) wait for the same answer."""
        if self._loaded:
            return
        if self._loading is None and self._keyring is not None:
            self._loading = asyncio.ensure_future(self._read(self._keyring))
        if self._loading is None:
            return
        loading = self._loading
        try:
            await asyncio.shield(loading)
        finally:
            if loading.done() and (loading.cancelled() or loading.exception() is not None):
                self._loading = None  # a failed read may be tried again

    async def _read(self, keyring: KeyringTokenStore) -> None:
        saved = await asyncio.to_thread(keyring.read)
        self._refresh, self._access = saved.refresh_token, saved.access_token
        self._loaded = True

    def load_refresh_token(self) -> str | None:
        return self._refresh

    def load_access_token(self) -> tuple[str, float] | None:
        return self._access

    # ------------------------------------------------------------------ writing
    async def save_refresh_token(self, token: str) -> None:
        if not token:
            raise ValueError("refusing to store an empty refresh token")
        await self.load()  # never overwrite a new token with what the keyring held before
        self._refresh = token
        if self.given_token_replaced:
            log.warning(ENV_SIGN_IN_REPLACED)
        await self._write(lambda keyring: keyring.write_refresh_token(token))

    async def save_access_token(self, token: str, use_until: float) -> None:
        await self.load()
        self._access = (token, use_until)
        await self._write(lambda keyring: keyring.write_access_token(token, use_until))

    async def clear(self) -> None:
        """Sign out: both tokens gone from memory and from the keyring."""
        await self.load()  # a read still going would bring them back
        self._refresh, self._access = None, None
        await self._write(lambda keyring: keyring.clear())

    async def close(self) -> None:
        """Wait for the writes still going (quitting must not lose a rotated refresh token)."""
        last = self._last_write
        if last is not None:
            await asyncio.wait([last])

    async def _write(self, write: Callable[[KeyringTokenStore], None]) -> None:
        """One keyring write in a worker thread, after every earlier one; a caller cancelled
        while it waits leaves the write (and the order) as they were."""
        keyring = self._keyring
        if keyring is None:
            return
        previous = self._last_write

        async def in_order() -> None:
            if previous is not None:
                await asyncio.wait([previous])
            await asyncio.to_thread(write, keyring)

        task = asyncio.ensure_future(in_order())
        task.add_done_callback(_log_failure)
        self._last_write = task
        await asyncio.shield(task)


def _log_failure(task: asyncio.Future[None]) -> None:
    if not task.cancelled() and task.exception() is not None:  # also marks it retrieved
        log.warning("keeping a Tesla token failed: %s", type(task.exception()).__name__)
