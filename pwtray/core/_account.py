"""The Tesla account as a person connects it: signing in (the browser, or a pasted refresh
token), signing out, and whether pwtray is signed in — for the Connection dialog.

Signing in keeps the tokens in the keyring (through :class:`CloudTokens`, never on the event
loop), finds the account's region and the energy site (matched to the gateway's DIN; asked of
the user when several sites match none), saves them with the client ID in the settings (never
a token), and hands the account to the running :class:`CloudService` at once. Whether pwtray is
signed in is answered without asking Tesla: its calls are metered, and the cloud is asked only
when a dialog opens or a command runs. A ``--cloud-url`` / ``--cloud-ca`` given on the command
line wins.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from pwtray.cloud import (
    DEFAULT_AUTH_URL,
    DEFAULT_CLOUD_URL,
    EnergySite,
    FleetClient,
    MissingScopeError,
    SiteChoiceRequiredError,
    SiteNotFoundError,
    choose_site,
    sign_in_with_browser,
    sign_in_with_refresh_token,
)
from pwtray.core._cloud import CloudAccount, CloudService
from pwtray.core._cloud_tokens import CloudTokens
from pwtray.core._config import CliOptions
from pwtray.settings import Cloud, KeyringProblem

# The redirect URI registered in the user's Tesla application is http://localhost:8765/callback
# (README; `pwtray cloud login --port`): the port must be that one.
REDIRECT_PORT = 8765
SIGN_IN_TIMEOUT_S = 300.0


class AccountState(enum.Enum):
    SIGNED_OUT = "signed out"
    SIGNED_IN = "signed in"
    SIGN_IN_NEEDED = "sign-in needed"  # Tesla refused the saved sign-in this session


@dataclass(frozen=True)
class AccountStatus:
    """What the Connection dialog says about the account (never a token)."""

    state: AccountState
    client_id: str  # the one in use, or the one last used ("" = never set)
    site_id: int | None = None  # None: not found yet (the first request finds it)
    site_name: str = ""
    refusal: str = ""  # Tesla's reason, when a sign-in is needed again
    keyring: KeyringProblem | None = None  # why the sign-in lasts this session only
    in_keyring: bool = True  # False: the demo, or PWTRAY_CLOUD_REFRESH_TOKEN (memory only)
    settings_problem: str | None = None  # the settings file could not be written


class SiteChoiceNeeded(Exception):
    """Signed in; the account has several energy sites and none has this gateway's DIN. Choose
    one of ``sites`` with :meth:`TeslaAccount.use_site` (``account`` is what to pass back)."""

    def __init__(self, account: CloudAccount, sites: Sequence[EnergySite], message: str) -> None:
        super().__init__(message)
        self.account = account
        self.sites = tuple(sites)


class TeslaAccount:
    def __init__(
        self,
        cloud: CloudService,
        tokens: CloudTokens,
        cli: CliOptions,
        *,
        settings: Callable[[], Cloud],
        save: Callable[[Cloud], str | None],
        din: Callable[[], str | None] = lambda: None,
    ) -> None:
        self._cloud = cloud
        self._tokens = tokens
        self._cli = cli
        self._settings = settings
        self._save = save
        self._din = din

    @property
    def client_id(self) -> str:
        """The client ID to offer: the one in use, else the one in the settings."""
        account = self._cloud.account
        return account.client_id if account is not None else self._settings().client_id

    # ------------------------------------------------------------------ state (no cloud call)
    async def status(self) -> AccountStatus:
        """Signed in or not, from the keyring (read in a worker thread, once) and from what
        Tesla answered this session."""
        await self._tokens.load()
        return self.status_now()

    def status_now(self, settings_problem: str | None = None) -> AccountStatus:
        cloud, settings = self._cloud, self._settings()
        refused = cloud.sign_in_required
        if not cloud.connected:
            state = AccountState.SIGNED_OUT
        elif refused is not None:
            state = AccountState.SIGN_IN_NEEDED
        else:
            state = AccountState.SIGNED_IN
        account = cloud.account
        site_id = settings.site_id or (account.site_id if account is not None else None)
        return AccountStatus(
            state,
            self.client_id,
            site_id=site_id or None,
            site_name=settings.site_name if settings.site_id else "",
            refusal=refused.reason if refused is not None else "",
            keyring=self._tokens.problem,
            in_keyring=self._tokens.in_keyring,
            settings_problem=settings_problem,
        )

    # ------------------------------------------------------------------ signing in and out
    def account_for(self, client_id: str) -> CloudAccount:
        """The account a sign-in with this client ID makes (the command line's cloud wins)."""
        client_id = client_id.strip()
        if not client_id:
            raise ValueError(
                "Enter the client ID of your Tesla application first (developer.tesla.com, "
                "your application's Credentials)."
            )
        if any(c.isspace() for c in client_id) or len(client_id) > 200:
            raise ValueError(
                "That is not a client ID (it has spaces in it, or is far too long): copy it "
                "again from your application's Credentials at developer.tesla.com."
            )
        cli = self._cli
        return CloudAccount(
            client_id,
            cloud_url=cli.cloud_url or DEFAULT_CLOUD_URL,
            auth_url=cli.cloud_url or DEFAULT_AUTH_URL,
            ca_path=cli.cloud_ca,
        )

    async def sign_in_with_browser(
        self,
        client_id: str,
        *,
        open_browser: Callable[[str], object],
        port: int = REDIRECT_PORT,
        timeout_s: float = SIGN_IN_TIMEOUT_S,
    ) -> AccountStatus:
        """Tesla's sign-in page in the browser, its answer on ``http://localhost:port``.
        Cancel the task to abandon it (the port is freed)."""
        account = self.account_for(client_id)
        await sign_in_with_browser(
            account.client_id,
            self._tokens,
            open_browser=open_browser,
            port=port,
            auth_url=account.auth_url,
            cloud_url=account.cloud_url,
            ca_path=account.ca_path,
            timeout_s=timeout_s,
        )
        return await self._signed_in(account)

    async def sign_in_with_refresh_token(self, client_id: str, refresh_token: str) -> AccountStatus:
        """A refresh token made elsewhere: checked with Tesla at once (which replaces it)."""
        account = self.account_for(client_id)
        await sign_in_with_refresh_token(
            account.client_id,
            refresh_token,
            self._tokens,
            auth_url=account.auth_url,
            ca_path=account.ca_path,
        )
        return await self._signed_in(account)

    async def _signed_in(self, account: CloudAccount) -> AccountStatus:
        """The new tokens are kept: use them now, then find the account's region and the
        gateway's site (two requests). Tokens that cannot serve pwtray — a permission missing,
        no Powerwall on the account — are forgotten again; after any other failure the sign-in
        stays and the site is found at the first use."""
        problem = self._save(Cloud(client_id=account.client_id))
        await self._cloud.use(account)
        client = FleetClient(
            account.client_id,
            self._tokens,
            cloud_url=account.cloud_url,
            auth_url=account.auth_url,
            ca_path=account.ca_path,
        )
        try:
            async with client:
                await client.discover_region()
                sites = await client.energy_sites()
        except (MissingScopeError, SiteNotFoundError):
            await self.sign_out()
            raise
        account = replace(account, cloud_url=client.cloud_url)
        try:
            choice = choose_site(sites, self._din())
        except SiteChoiceRequiredError as exc:
            candidates = [s for s in sites if s in exc.sites]
            raise SiteChoiceNeeded(account, candidates, str(exc)) from exc
        return await self.use_site(account, choice.site, settings_problem=problem)

    async def use_site(
        self, account: CloudAccount, site: EnergySite, *, settings_problem: str | None = None
    ) -> AccountStatus:
        """This energy site of the account, from now on (saved in the settings)."""
        cloud = Cloud(
            client_id=account.client_id,
            cloud_url=account.cloud_url,
            site_id=site.site_id,
            site_name=site.name or "",
        )
        problem = self._save(cloud) or settings_problem
        await self._cloud.use(replace(account, site_id=site.site_id))
        return self.status_now(problem)

    async def sign_out(self) -> AccountStatus:
        """Forget the tokens (keyring and memory); the client ID stays for the next sign-in."""
        await self._tokens.clear()
        await self._cloud.use(self._cloud.account)  # drop the client and what it knew
        return self.status_now()
