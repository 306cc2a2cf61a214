"""The composition root: the whole application without its windows.

``Core.start`` decides the folders, sets up logging (secrets redacted, files private), loads the
settings, opens the history and builds the site; in the demo it also starts the embedded
simulator (the only place outside the tests that imports it). ``Core.unlock`` then asks the
keyring for the passwords, off the event loop's thread: the keyring may show a prompt and wait for
the user, so the tray app puts its icon up first. The tray app and ``pwtray status`` both start
here.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import platformdirs

from pwtray import __version__
from pwtray.cloud import CloudError, MemoryTokenStore, TokenStore
from pwtray.core._actions import ActionService, actions_config
from pwtray.core._cloud import CloudService, backfill_outages, cloud_account
from pwtray.core._config import CliOptions, Config, Gateway, effective
from pwtray.core._passwords import Passwords
from pwtray.core._schedules import ScheduleService, schedules_from
from pwtray.core._shutdown import ShutdownPolicy, shutdown_config
from pwtray.core._site import Site
from pwtray.core._tasks import Supervisor
from pwtray.core._ups import UpsService, ups_config
from pwtray.core.words import keyring_text
from pwtray.gateway import GatewayAddress, normalize_fingerprint
from pwtray.monitor import SYSTEM_CLOCK, Clock, HistoryStore, HistoryUnavailableError
from pwtray.settings import (
    Connection,
    KeyringSecrets,
    KeyringTokenStore,
    Loaded,
    RedactingFilter,
    SecretStore,
    SessionSecrets,
    Settings,
    load,
    nut_account,
    private_folder,
    save,
    setup_logging,
)
from pwtray.settings import default_path as default_settings_path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Note:
    """Something the user must hear once (a reset settings file, a history that is unusable)."""

    title: str
    body: str


@dataclass
class Folders:
    data: Path  # history
    settings: Path | None  # None: never written (the demo, or a newer pwtray's file)
    log: Path | None  # None: the platform's log folder


@dataclass
class Core:
    cli: CliOptions
    settings: Settings
    config: Config
    secrets: SecretStore
    folders: Folders
    site: Site
    supervisor: Supervisor
    ups: UpsService
    actions: ActionService
    shutdown: ShutdownPolicy
    schedules: ScheduleService
    notes: list[Note] = field(default_factory=list)
    log_path: Path | None = None
    _stack: contextlib.AsyncExitStack = field(default_factory=contextlib.AsyncExitStack)

    # ------------------------------------------------------------------ start and stop
    @classmethod
    async def start(
        cls,
        cli: CliOptions,
        *,
        settings_path: Path | None = None,
        data_folder: Path | None = None,
        log_folder: Path | None = None,
        secrets: SecretStore | None = None,
        clock: Clock = SYSTEM_CLOCK,
        unlock: bool = True,
    ) -> Core:
        """Everything a run needs. ``unlock=False``: the keyring is not asked yet (call
        :meth:`unlock` when the app can show it is running while a keyring prompt is open)."""
        os.umask(0o077)  # whatever pwtray (or SQLite, or a library) creates: the user's only
        stack = contextlib.AsyncExitStack()
        notes: list[Note] = []
        demo = None
        if cli.demo:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pwtray-demo-")))
            folders = Folders(data=folder, settings=None, log=folder)
        else:
            data = data_folder or Path(platformdirs.user_data_dir("pwtray", appauthor=False))
            folders = Folders(
                data=data, settings=settings_path or default_settings_path(), log=None
            )
        root = logging.getLogger()
        before = list(root.handlers)
        log_path = setup_logging(
            verbose=cli.verbose, directory=folders.log, filters=[RedactingFilter()]
        )
        stack.callback(_remove_handlers, [h for h in root.handlers if h not in before])
        log.info("pwtray %s starting; log at %s", __version__, log_path)
        if cli.demo:
            from pwtray.core._demo import DEMO_PASSWORD, start_demo

            demo = await start_demo(cli, folders.data, stack)
            loaded = Loaded(
                Settings(connection=Connection(host=demo.address, fingerprint=demo.fingerprint))
            )
            secrets = SessionSecrets()
            secrets.set(demo.address, DEMO_PASSWORD)
        else:
            loaded = await asyncio.to_thread(load, folders.settings, check_settings)
            secrets = secrets or KeyringSecrets()
            if loaded.read_only:
                folders.settings = None
        if loaded.problem:
            log.warning("settings: %s", loaded.problem)
            notes.append(Note("pwtray settings were reset", loaded.problem))
        config = effective(loaded.settings, cli)
        # The demo's password is in memory; a real one comes from the keyring in unlock().
        password = cli.password if demo is None else await Passwords(secrets).get(demo.address)
        history, problem = await asyncio.to_thread(open_history, folders.data, config)
        if problem:
            notes.append(Note("History is not being recorded", problem))
        history_folder = folders.data
        supervisor = Supervisor()
        holder: list[Core] = []  # the site's cloud remembers its energy site in the settings
        cloud = make_cloud(loaded.settings, cli, lambda: site.snapshot.din, holder)
        site = Site(
            config,
            password=password,
            history=history,
            supervisor=supervisor,
            clock=clock,
            keep_session=not cli.demo,
            cloud=cloud,
        )
        if history is None:
            supervisor.start("history retry", lambda: _retry_history(site, history_folder))
        elif demo is not None:
            from pwtray.core._demo import prefill_history

            await prefill_history(demo, history, site.client)
        ups = UpsService(site, secrets)
        actions = ActionService(
            site, supervisor, actions_config(loaded.settings), folder=folders.data
        )
        await actions.load()
        site.subscribe(actions.on_update)
        shutdown = ShutdownPolicy(
            site, supervisor, ups, shutdown_config(loaded.settings, demo=cli.demo)
        )
        site.subscribe(shutdown.on_update)
        schedules = ScheduleService(site, supervisor, schedules_from(loaded.settings.schedules))
        core = cls(
            cli,
            loaded.settings,
            config,
            secrets,
            folders,
            site,
            supervisor,
            ups,
            actions,
            shutdown,
            schedules,
            notes,
            log_path,
            stack,
        )
        holder.append(core)
        if unlock:
            await core.unlock()
        return core

    async def unlock(self) -> None:
        """What needs the keyring: the gateway's password (unless the command line gave one)
        and the NUT server, whose user's password is there too. May wait on a keyring prompt."""
        gateway = self.config.gateway
        if self.cli.password is None and not self.cli.demo and gateway.host:
            password = await self.passwords.get(gateway.host)
            if password is not None:
                self.site.connect(gateway, password)
        ups_problem = await self.ups.apply(ups_config(self.settings, self.cli.nut))
        if ups_problem:
            self.notes.append(Note("NUT server not started", ups_problem))

    def begin(self) -> None:
        """Start the work that runs until quit: polling, the scheduled changes, and (once) the
        outages Tesla saw while pwtray was not running."""
        self.site.start()
        self.schedules.start()
        cloud, history = self.site.commands.cloud, self.site.history
        if cloud is not None and cloud.connected and history is not None:
            now = self.site.clock.wall()
            self.supervisor.start(
                "outage backfill", lambda: self._backfill(cloud, history, now), restart=False
            )

    @staticmethod
    async def _backfill(cloud: CloudService, history: HistoryStore, now: float) -> None:
        try:
            await backfill_outages(cloud, history, now)
        except CloudError as exc:  # the cloud is a bonus here: say why in the log, go on
            log.warning("outages while pwtray was not running: not read (%s)", exc)

    async def close(self) -> None:
        log.info("shutting down")
        await self.shutdown.stop()
        await self.actions.stop()
        await self.ups.stop()
        await self.supervisor.stop()
        await self.site.stop()
        if self.site.history is not None:
            await asyncio.to_thread(self.site.history.close)
        log.info("stopped cleanly")  # the last line: closing the stack ends the logging
        await self._stack.aclose()

    @property
    def passwords(self) -> Passwords:
        """The keyring, each call in a worker thread (the dialogs' only way to it)."""
        return Passwords(self.secrets)

    # ------------------------------------------------------------------ changes from the user
    def save_settings(self) -> str | None:
        """Write the settings; a sentence for the user when that failed (the change still holds
        until pwtray quits)."""
        if self.folders.settings is None:
            return None
        try:
            save(self.settings, self.folders.settings)
        except OSError as exc:
            log.warning("settings not saved: %s", exc.strerror)
            return (
                f"{self.folders.settings}: {exc.strerror}. The change applies until pwtray quits."
            )
        return None

    async def apply_settings(
        self, settings: Settings, *, nut_password: str | None = None
    ) -> str | None:
        """New preferences: saved, then applied to the running site and services at once.
        ``nut_password``: a new password for the NUT user, kept in the keyring only."""
        self.settings = settings
        problem = self.save_settings()
        if nut_password is not None:
            await self.passwords.set(nut_account(settings.nut.username), nut_password)
            if self.passwords.problem is not None:
                keyring = keyring_text(self.passwords.problem)
                problem = " ".join(p for p in (problem, keyring) if p)
        self.config = effective(settings, self.cli)
        self.site.apply(self.config)
        self.actions.apply(actions_config(settings))
        self.schedules.apply(schedules_from(settings.schedules))
        self.shutdown.apply(shutdown_config(settings, demo=self.cli.demo))
        ups_problem = await self.ups.apply(
            ups_config(settings, self.cli.nut), restart=nut_password is not None
        )
        return " ".join(p for p in (problem, ups_problem) if p) or None

    async def apply_connection(self, connection: Connection, password: str | None) -> str | None:
        """A new address, certificate, email or password from the wizard or Connection."""
        self.settings = msgspec.structs.replace(self.settings, connection=connection)
        problem = self.save_settings()
        if password is not None:
            await self.passwords.set(connection.host, password)
        else:
            password = await self.passwords.get(connection.host)
        self.config = effective(self.settings, self.cli)
        gateway = Gateway(connection.host, connection.fingerprint, connection.email)
        self.site.connect(gateway, password)
        return problem


def make_cloud(
    settings: Settings, cli: CliOptions, din: Callable[[], str | None], core: list[Core]
) -> CloudService:
    """The site's way to the Tesla cloud: the account from the settings (or the command line),
    its tokens from the keyring (or PWTRAY_CLOUD_REFRESH_TOKEN, for scripts; never stored)."""
    tokens: TokenStore
    if cli.cloud_refresh_token:
        tokens = MemoryTokenStore(cli.cloud_refresh_token)
    elif cli.demo:
        tokens = MemoryTokenStore()
    else:
        tokens = KeyringTokenStore()

    def remember(site_id: int, cloud_url: str) -> None:
        if core:
            app = core[0]
            cloud = msgspec.structs.replace(
                app.settings.cloud, site_id=site_id, cloud_url=cloud_url
            )
            app.settings = msgspec.structs.replace(app.settings, cloud=cloud)
            app.save_settings()

    return CloudService(cloud_account(settings, cli), tokens, din=din, remember_site=remember)


def _no_history(folder: Path, reason: str) -> str:
    log.warning("history unusable: %s", reason)
    return (
        f"pwtray cannot open its history in {folder} ({reason}); the file is left as it is. "
        "Monitoring and notifications go on; pwtray tries again every few minutes."
    )


def check_settings(settings: Settings) -> str | None:
    """Why decoded settings cannot be used, in words (the settings package cannot know what
    a gateway address or a certificate fingerprint is; the gateway's own parsers say)."""
    connection = settings.connection
    if connection.host:
        try:
            GatewayAddress.parse(connection.host)
        except ValueError as exc:
            return f"the gateway address “{connection.host}” is not usable: {exc}"
    if connection.fingerprint:
        try:
            normalize_fingerprint(connection.fingerprint)
        except ValueError as exc:
            return f"the trusted certificate fingerprint is not usable: {exc}"
    return None


HISTORY_RETRY_S = 600.0


async def _retry_history(site: Site, folder: Path) -> None:
    """Until the history opens (space freed, folder writable again), try every few minutes."""
    while True:
        await site.clock.sleep(HISTORY_RETRY_S)
        history, _problem = await asyncio.to_thread(open_history, folder, site.config)
        if history is not None:
            log.info("history opened: recording from now on")
            site.attach_history(history)
            return


def _remove_handlers(handlers: list[logging.Handler]) -> None:
    for handler in handlers:
        logging.getLogger().removeHandler(handler)
        handler.close()


def open_history(folder: Path, config: Config) -> tuple[HistoryStore | None, str | None]:
    """The history database, or why there is none now (the app monitors without it, and
    tries again every few minutes)."""
    try:
        private_folder(folder)
        history = HistoryStore(folder / "history.sqlite", retention=config.retention)
    except OSError as exc:
        return None, _no_history(folder, exc.strerror or str(exc))
    except HistoryUnavailableError as exc:
        return None, _no_history(folder, exc.reason)
    if history.recovered:
        log.warning(history.recovered)
        return history, history.recovered
    return history, None


async def selftest_gateway() -> str:
    """The self-test's round trip through a throw-away simulator (loaded only when asked)."""
    from pwtray.core import _demo

    return await _demo.selftest_gateway()
