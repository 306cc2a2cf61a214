"""Tesla account tokens in the OS keyring (the ``TokenStore`` of :mod:`pwtray.cloud`).

Two keyring entries, each replaced in one step: the refresh token (what keeps pwtray signed
in; written before a new access token is used) and the access token with the time pwtray
stops using it. Two entries rather than one: Windows Credential Manager holds at most 2560
bytes per entry and an access token alone can come close.

With no usable keyring the tokens are kept in memory for this session only, never written
anywhere, and ``problem`` says so in words. Nothing here logs a token.
"""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

from pwtray.settings._secrets import SERVICE

if TYPE_CHECKING:  # keyring itself is imported on first use (see pwtray.settings._secrets)
    from keyring.errors import KeyringError

log = logging.getLogger(__name__)
ACCOUNT = "tesla-cloud"


class KeyringTokenStore:
    """The system keyring (Secret Service, Windows Credential Manager, macOS Keychain)."""

    def __init__(self, service: str = SERVICE, account: str = ACCOUNT) -> None:
        self.service = service
        self._refresh_key = f"{account}:refresh-token"
        self._access_key = f"{account}:access-token"
        self.problem: str | None = None
        self._reason = "the system keyring failed"
        self._session: dict[str, str] = {}

    def __repr__(self) -> str:
        return f"KeyringTokenStore(service={self.service!r}, tokens=<hidden>)"

    @property
    def persistent(self) -> bool:
        return self.problem is None

    def load_refresh_token(self) -> str | None:
        return self._get(self._refresh_key)

    def save_refresh_token(self, token: str) -> None:
        if not token:
            raise ValueError("refusing to store an empty refresh token")
        if not self._set(self._refresh_key, token):
            self._unusable("The Tesla sign-in cannot be stored", "sign in again after a restart")

    def load_access_token(self) -> tuple[str, float] | None:
        raw = self._get(self._access_key)
        if raw is None:
            return None
        try:
            value = json.loads(raw)
            return str(value["token"]), float(value["use_until"])
        except (ValueError, KeyError, TypeError):
            log.info("the stored Tesla access token is unreadable; a new one will be fetched")
            return None

    def save_access_token(self, token: str, use_until: float) -> None:
        # Losing it costs one refresh at the next start: kept for the session, no message.
        self._set(self._access_key, json.dumps({"token": token, "use_until": use_until}))

    def clear(self) -> None:
        import keyring
        from keyring.errors import KeyringError, PasswordDeleteError

        for key in (self._refresh_key, self._access_key):
            self._session.pop(key, None)
            try:
                keyring.delete_password(self.service, key)
            except PasswordDeleteError:
                pass  # nothing stored
            except KeyringError as exc:
                log.warning("keyring unusable while signing out: %s", type(exc).__name__)

    def _get(self, key: str) -> str | None:
        if key in self._session:
            return self._session[key]
        import keyring
        from keyring.errors import KeyringError

        try:
            return keyring.get_password(self.service, key)
        except KeyringError as exc:
            self._reason = _reason(exc)
            log.warning("keyring unusable: %s", self._reason)
            return None

    def _set(self, key: str, value: str) -> bool:
        """True if the keyring holds it now; otherwise it is kept for this session."""
        import keyring
        from keyring.errors import KeyringError

        try:
            keyring.set_password(self.service, key, value)
        except KeyringError as exc:
            self._reason = _reason(exc)
            log.warning("keyring unusable: %s", self._reason)  # the reason only, never a token
            self._session[key] = value
            return False
        self._session.pop(key, None)
        return True

    def _unusable(self, what: str, consequence: str) -> None:
        self.problem = (
            f"{what}: {self._reason}. pwtray keeps it for this session only; you will have to "
            f"{consequence}. Unlock or install a keyring (for example GNOME Keyring or KWallet) "
            "to keep it."
        )


def _reason(exc: KeyringError) -> str:
    from keyring.errors import KeyringLocked, NoKeyringError

    if isinstance(exc, KeyringLocked):
        return "the system keyring is locked"
    if isinstance(exc, NoKeyringError):
        return "there is no system keyring in this session"
    return f"the system keyring failed ({type(exc).__name__})"
