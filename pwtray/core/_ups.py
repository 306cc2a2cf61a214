"""pwtray's NUT server, run by the core when the user switched it on (Preferences or
``pwtray --nut [HOST:]PORT``): started, restarted when its settings change, stopped on quit.

A mistake in its settings (an address, a missing allowed-clients list, a port in use) stops the
NUT server alone, with a sentence for the user; monitoring goes on.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from pwtray.core._site import Site
from pwtray.nut import (
    LowMarks,
    NutError,
    NutServer,
    NutUser,
    check_credential,
    check_exposure,
    check_ups_name,
    parse_allowed,
    parse_listen,
)
from pwtray.settings import Nut, SecretStore, Settings, nut_account

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UpsConfig:
    """The NUT server's effective settings: CLI ``--nut`` over the settings file."""

    listen: str
    allowed_clients: tuple[str, ...]
    ups_name: str
    username: str
    charge_low_percent: float
    runtime_low_s: float


def ups_config(settings: Settings, cli_listen: str | None) -> UpsConfig | None:
    """None: the NUT server stays off."""
    nut = settings.nut
    if cli_listen is None and not nut.enabled:
        return None
    return UpsConfig(
        listen=cli_listen or nut.listen,
        allowed_clients=tuple(nut.allowed_clients),
        ups_name=nut.ups_name,
        username=nut.username,
        charge_low_percent=nut.charge_low_percent,
        runtime_low_s=nut.runtime_low_s,
    )


def check_ups(nut: Nut, password: str | None = None) -> str | None:
    """What is wrong with NUT settings about to be saved, in a sentence (None: nothing), so that
    Preferences can say it before the server is restarted with them. ``password``: a new one."""
    try:
        listen = parse_listen(nut.listen)
        check_exposure(listen, parse_allowed(nut.allowed_clients))
        check_ups_name(nut.ups_name)
        check_credential("NUT user name", nut.username)
        if password is not None:
            check_credential("NUT password", password)
    except NutError as exc:
        return str(exc)
    return None


@dataclass(frozen=True)
class UpsClient:
    address: str
    username: str | None  # None: not logged in (it may read, not follow for a shutdown)


@dataclass(frozen=True)
class UpsState:
    """The NUT server as Preferences shows it."""

    running: bool
    listen: str | None = None  # where it serves
    ups_name: str = ""
    problem: str | None = None  # why it is not serving, when it should
    clients: tuple[UpsClient, ...] = ()


class UpsService:
    def __init__(self, site: Site, secrets: SecretStore) -> None:
        self._site = site
        self._secrets = secrets
        self._config: UpsConfig | None = None
        self.server: NutServer | None = None
        self.problem: str | None = None  # why it is not serving, for the user
        self._shutdown_declared = False

    async def apply(self, config: UpsConfig | None, *, restart: bool = False) -> str | None:
        """Serve with ``config`` (None: stop). Returns a sentence when it could not start.
        ``restart``: even with the same settings (the password in the keyring changed)."""
        if not restart and config == self._config and (self.server is not None or config is None):
            return None
        await self.stop()
        self._config = config
        self.problem = None
        if config is None:
            return None
        try:
            listen = parse_listen(config.listen)
            password = await asyncio.to_thread(self._secrets.get, nut_account(config.username))
            user = NutUser(config.username, password) if password else None
            fast_s = self._site.config.schedule.fast_s
            server = NutServer(
                lambda: self._site.snapshot,
                host=listen.host,
                port=listen.port,
                allowed_clients=config.allowed_clients,
                user=user,
                ups_name=config.ups_name,
                marks=LowMarks(config.charge_low_percent, config.runtime_low_s),
                max_age_s=max(15.0, 3 * fast_s),
                wall=self._site.clock.wall,
            )
            await server.start()
        except NutError as exc:
            self.problem = f"The NUT server is not running: {exc}"
            log.warning("%s", self.problem)
            return self.problem
        server.declare_shutdown(self._shutdown_declared)
        self.server = server
        log.info("NUT server for %s on %s", config.ups_name, config.listen)
        return None

    def state(self) -> UpsState:
        config, server = self._config, self.server
        if config is None:
            return UpsState(running=False)
        if server is None:
            return UpsState(running=False, ups_name=config.ups_name, problem=self.problem)
        clients = tuple(
            UpsClient(c.address, c.username if c.logged_in else None) for c in server.clients()
        )
        return UpsState(
            running=True, listen=str(server.listen), ups_name=config.ups_name, clients=clients
        )

    def declare_shutdown(self, shutdown: bool) -> None:
        """pwtray decided the house's computers should shut down: clients see FSD."""
        self._shutdown_declared = shutdown
        if self.server is not None:
            self.server.declare_shutdown(shutdown)

    async def stop(self) -> None:
        server, self.server = self.server, None
        if server is not None:
            await server.stop()
