"""Tokens: where they live (:class:`TokenStore`), and keeping a valid access token.

Tesla's refresh tokens are single use: every refresh returns a new one and the old one stops
working. So the order is fixed: the new refresh token is written to the store — and that write
awaited — *before* the new access token is stored or used, and a store that fails stops the
refresh there. A crash at any point leaves the store holding a refresh token Tesla still
accepts (or, if Tesla's answer was lost in flight, the one it had — which is then the only
thing anyone could have kept).

A refresh token Tesla rejects (revoked, expired, already used) is final: the manager raises one
:class:`SignInRequiredError` and remembers it, so later calls fail at once without asking Tesla
again, until a new sign-in. Nothing here retries in a loop.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import msgspec

from pwtray.cloud._exceptions import (
    CloudError,
    CloudProtocolError,
    CloudUnavailableError,
    CommandRefusedError,
    RateLimitedError,
    SignInFailedError,
    SignInRequiredError,
)
from pwtray.cloud._http import Reply, retry_after_s, send
from pwtray.cloud._models import OAuthError, TokenGrant

if TYPE_CHECKING:
    import httpx

log = logging.getLogger(__name__)
TOKEN_PATH = "/oauth2/v3/token"  # noqa: S105 - a URL path, not a password
REFRESH_MARGIN_S = 300.0  # refresh this long before Tesla's expiry (at most half the lifetime)
# Token-endpoint errors that mean the saved sign-in is gone for good.
_SIGNED_OUT = {"invalid_grant", "login_required", "invalid_token", "invalid_client"}


class TokenStore(Protocol):
    """Where the account's tokens are kept: the OS keyring in the app, memory in tests.

    ``load()`` reads what is kept, once (later calls return at once); the ``load_*`` methods
    then answer from memory and never wait. Saves are awaited: ``save_refresh_token`` returns
    once the token is kept, having replaced the stored one in one step (never leaving none),
    and raises if it could not keep it at all. ``use_until`` is the time (``time.time()``
    seconds) after which pwtray refreshes rather than use the access token.
    """

    async def load(self) -> None: ...

    def load_refresh_token(self) -> str | None: ...

    async def save_refresh_token(self, token: str) -> None: ...

    def load_access_token(self) -> tuple[str, float] | None: ...

    async def save_access_token(self, token: str, use_until: float) -> None: ...


class MemoryTokenStore:
    """Tokens for this process only (tests)."""

    def __init__(self, refresh_token: str | None = None) -> None:
        self._refresh = refresh_token
        self._access: tuple[str, float] | None = None

    def __repr__(self) -> str:
        return "MemoryTokenStore(<hidden>)"

    async def load(self) -> None:
        return None

    def load_refresh_token(self) -> str | None:
        return self._refresh

    async def save_refresh_token(self, token: str) -> None:
        self._refresh = token

    def load_access_token(self) -> tuple[str, float] | None:
        return self._access

    async def save_access_token(self, token: str, use_until: float) -> None:
        self._access = (token, use_until)


class RateLimit:
    """After a 429 nothing is sent to Tesla before ``until`` (one window for the account)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.until = 0.0

    def check(self, endpoint: str) -> None:
        remaining = self.until - self._clock()
        if remaining > 0:
            raise self.error(endpoint, remaining)

    def hit(self, endpoint: str, seconds: float) -> RateLimitedError:
        self.until = max(self.until, self._clock() + seconds)
        return self.error(endpoint, self.until - self._clock())

    def error(self, endpoint: str, remaining_s: float) -> RateLimitedError:
        until = dt.datetime.fromtimestamp(self._clock() + remaining_s, dt.UTC)
        return RateLimitedError(endpoint, remaining_s, until)


class TokenManager:
    """Keeps a valid access token for one client ID, refreshing through ``auth_url``."""

    def __init__(
        self,
        client_id: str,
        store: TokenStore,
        *,
        auth_url: str,
        http: httpx.AsyncClient,
        clock: Callable[[], float] = time.time,
        rate_limit: RateLimit | None = None,
        refresh_margin_s: float = REFRESH_MARGIN_S,
        calls: deque[str] | None = None,
    ) -> None:
        if not client_id.strip():
            raise ValueError("The client ID is empty: copy it from developer.tesla.com.")
        self.client_id = client_id.strip()
        self.store = store
        self.auth_url = auth_url.rstrip("/")
        self._http = http
        self._clock = clock
        self.rate_limit = rate_limit or RateLimit(clock)
        self._margin_s = refresh_margin_s
        self.calls = calls if calls is not None else deque(maxlen=1000)
        self._lock = asyncio.Lock()
        self._access: tuple[str, float] | None = None
        self._last_grant_type = ""
        self.sign_in_required: SignInRequiredError | None = None

    # ------------------------------------------------------------------ access tokens
    async def access_token(self) -> str:
        """A token to use now: the stored one while it is fresh, else a refreshed one."""
        if self.sign_in_required is not None:
            raise self.sign_in_required
        await self.store.load()
        current = self._current()
        if current is not None:
            return current
        return await self.refresh()

    def _current(self) -> str | None:
        access = self._access or self.store.load_access_token()
        if access is not None and self._clock() < access[1]:
            self._access = access
            return access[0]
        return None

    async def refresh(self, *, stale: str | None = None, using: str | None = None) -> str:
        """Get a new access token. With ``stale`` (a token Tesla just refused): if another
        task already replaced it, that newer token is returned instead of refreshing twice."""
        await self.store.load()
        async with self._lock:
            if self.sign_in_required is not None and using is None:
                raise self.sign_in_required
            if using is None:
                current = self._current()
                if current is not None and current != stale:
                    return current
            refresh_token = using or self.store.load_refresh_token()
            if not refresh_token:
                raise SignInRequiredError("pwtray is not signed in to a Tesla account")
            grant = await self._token_request(
                {
                    "grant_type": "refresh_token",
                    "client_id": self.client_id,
                    "refresh_token": refresh_token,
                },
                signing_in=using is not None,
            )
            return await self._keep(grant, refresh_token)

    def reset(self) -> None:
        """After a new sign-in into the same store elsewhere: forget what this manager knew
        (a refused sign-in, the cached access token) and read the store again."""
        self.sign_in_required = None
        self._access = None

    def reject(self, reason: str) -> SignInRequiredError:
        """Tesla refused a freshly issued access token: remember that a sign-in is needed."""
        self.sign_in_required = SignInRequiredError(reason)
        self._access = None
        return self.sign_in_required

    # ------------------------------------------------------------------ signing in
    async def exchange_code(
        self,
        code: str,
        verifier: str,
        redirect_uri: str,
        *,
        audience: str,
        client_secret: str | None = None,
    ) -> None:
        """The authorization-code grant (PKCE); on success the account is signed in."""
        form = {
            "grant_type": "authorization_code",
            "client_id": self.client_id,
            "code": code,
            "code_verifier": verifier,
            "redirect_uri": redirect_uri,
            "audience": audience,
        }
        if client_secret:
            form["client_secret"] = client_secret
        async with self._lock:
            grant = await self._token_request(form, signing_in=True)
            if not grant.refresh_token:
                raise SignInFailedError(
                    "Tesla gave no refresh token (the offline_access permission was not granted)"
                )
            await self._keep(grant, None)

    # ------------------------------------------------------------------ internals
    async def _keep(self, grant: TokenGrant, old_refresh: str | None) -> str:
        if grant.refresh_token and grant.refresh_token != old_refresh:
            # First and alone, and kept (awaited) before the new access token is stored or
            # used: Tesla has already retired the old refresh token.
            await self.store.save_refresh_token(grant.refresh_token)
        now = self._clock()
        margin = min(self._margin_s, grant.expires_in / 2)
        use_until = now + grant.expires_in - margin
        await self.store.save_access_token(grant.access_token, use_until)
        self._access = (grant.access_token, use_until)
        self.sign_in_required = None
        return grant.access_token

    async def _token_request(self, form: dict[str, str], *, signing_in: bool) -> TokenGrant:
        self.rate_limit.check(TOKEN_PATH)
        self._last_grant_type = form["grant_type"]
        self.calls.append(f"POST token ({form['grant_type']})")
        reply = await send(
            self._http,
            "POST",
            self.auth_url + TOKEN_PATH,
            TOKEN_PATH,
            data=form,
            headers={"Accept": "application/json"},
        )
        if reply.status == 200:
            try:
                return msgspec.json.decode(reply.body, type=TokenGrant)
            except msgspec.DecodeError as exc:
                raise CloudProtocolError(TOKEN_PATH, "$", str(exc)) from exc
        raise self._token_error(reply, signing_in=signing_in)

    def _token_error(self, reply: Reply, *, signing_in: bool) -> CloudError:
        status = reply.status
        if status == 429:
            return self.rate_limit.hit(TOKEN_PATH, retry_after_s(reply, self._clock()))
        if status >= 500:
            return CloudUnavailableError(TOKEN_PATH, status)
        try:
            body = msgspec.json.decode(reply.body, type=OAuthError)
        except msgspec.DecodeError:
            body = OAuthError()
        words = _oauth_words(body, self._last_grant_type)
        log.info("Tesla's token endpoint refused: HTTP %s %s", status, body.error or "")
        if signing_in:
            return SignInFailedError(words)
        if status in (400, 401) and (body.error in _SIGNED_OUT or status == 401):
            self.sign_in_required = SignInRequiredError(words)
            self._access = None
            return self.sign_in_required
        return CommandRefusedError(TOKEN_PATH, status, words)


def _oauth_words(body: OAuthError, grant_type: str) -> str:
    what = "the sign-in code" if grant_type == "authorization_code" else "the refresh token"
    known = {
        "invalid_grant": f"Tesla does not accept {what} (revoked, expired or already used)",
        "login_required": f"Tesla no longer accepts {what} (revoked, expired or already used)",
        "invalid_client": "Tesla does not know this client ID",
        "unauthorized_client": "Tesla does not allow this client ID to sign in this way",
        "invalid_request": "Tesla could not understand the sign-in request",
    }
    text = known.get(body.error, body.error or "Tesla refused the sign-in")
    # error_description is Tesla's own wording (no credentials); keep it short.
    if body.error_description and body.error not in ("invalid_grant", "login_required"):
        text += f" ({body.error_description[:200]})"
    return text
