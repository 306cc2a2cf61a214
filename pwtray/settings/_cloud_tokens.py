"""Tesla account tokens in the OS keyring, through the same gate as the passwords.

Two keyring entries, each replaced in one step: the refresh token (what keeps pwtray signed
in) and the access token with the time pwtray stops using it. Two entries rather than one:
Windows Credential Manager holds at most 2560 bytes per entry and an access token alone can
come close.

Every call goes through a :class:`~pwtray.settings.SecretStore` — in the app the same
:class:`~pwtray.settings.KeyringSecrets` as the gateway's password — so the tokens share its
rules: calls serialised, at most one keyring prompt per session, no call at all once the keyring
failed or its prompt was cancelled, and then a token given in this session kept in memory only
(``problem`` says why). Blocking, like the keyring: the app calls it from a worker thread
(:class:`pwtray.core.CloudTokens`). Nothing here logs a token.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from pwtray.settings._secrets import KeyringProblem, SecretStore

log = logging.getLogger(__name__)
ACCOUNT = "tesla-cloud"


@dataclass(frozen=True)
class SavedTokens:
    """What the keyring held: the refresh token, and the access token with its use-until time."""

    refresh_token: str | None
    access_token: tuple[str, float] | None

    def __repr__(self) -> str:
        return (
            f"SavedTokens(refresh_token={'<hidden>' if self.refresh_token else None}, "
            f"access_token={'<hidden>' if self.access_token else None})"
        )


class KeyringTokenStore:
    """The Tesla tokens in a :class:`SecretStore` (the system keyring, in the app)."""

    def __init__(self, secrets: SecretStore, account: str = ACCOUNT) -> None:
        self.secrets = secrets
        self._refresh_key = f"{account}:refresh-token"
        self._access_key = f"{account}:access-token"

    def __repr__(self) -> str:
        return f"KeyringTokenStore({type(self.secrets).__name__}, tokens=<hidden>)"

    @property
    def problem(self) -> KeyringProblem | None:
        """Why tokens last this session only (None: the keyring keeps them, or not asked yet)."""
        return self.secrets.problem

    def read(self) -> SavedTokens:
        refresh = self.secrets.get(self._refresh_key)
        raw = self.secrets.get(self._access_key)
        return SavedTokens(refresh or None, _access(raw) if raw else None)

    def write_refresh_token(self, token: str) -> None:
        if not token:
            raise ValueError("refusing to store an empty refresh token")
        self.secrets.set(self._refresh_key, token)

    def write_access_token(self, token: str, use_until: float) -> None:
        self.secrets.set(self._access_key, json.dumps({"token": token, "use_until": use_until}))

    def clear(self) -> None:
        self.secrets.delete(self._refresh_key)
        self.secrets.delete(self._access_key)


def _access(raw: str) -> tuple[str, float] | None:
    try:
        value = json.loads(raw)
        return str(value["token"]), float(value["use_until"])
    except (ValueError, KeyError, TypeError):
        log.info("the stored Tesla access token is unreadable; a new one will be fetched")
        return None
