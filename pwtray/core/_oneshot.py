"""A site for one command line (``pwtray set``): the configured gateway (or the one on the command
line) and its Tesla account, without history, notifications or the tray."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pwtray.core._config import CliOptions, effective
from pwtray.core._core import check_settings, make_cloud, make_tokens
from pwtray.core._site import Site
from pwtray.core._tasks import Supervisor
from pwtray.settings import KeyringSecrets, Settings, load
from pwtray.settings import default_path as default_settings_path


class NotSetUpError(Exception):
    """No gateway on the command line and none in the settings."""


async def one_shot_site(cli: CliOptions, *, settings_path: Path | None = None) -> Site:
    """The site a command acts on; close it with ``await site.stop()``."""
    loaded = await asyncio.to_thread(load, settings_path or default_settings_path(), check_settings)
    settings: Settings = loaded.settings
    config = effective(settings, cli)
    if not config.gateway.configured:
        raise NotSetUpError(
            "no gateway is set up: give --host and --fingerprint, or set pwtray up first"
        )
    secrets = KeyringSecrets()  # one gate, one prompt at most, for the password and the tokens
    password = cli.password
    if password is None:
        password = await asyncio.to_thread(secrets.get, config.gateway.host)
    tokens = make_tokens(cli, secrets)
    cloud = make_cloud(settings, cli, tokens, lambda: None, [])  # the site is found each time
    if cloud.account is not None:
        await tokens.load()
    return Site(
        config,
        password=password,
        history=None,
        supervisor=Supervisor(),
        keep_session=True,
        cloud=cloud,
    )
