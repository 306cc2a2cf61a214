"""Settings, secrets, logging and start-at-login. No Qt here."""

from pwtray.settings import _autostart as autostart
from pwtray.settings._cloud_tokens import KeyringTokenStore
from pwtray.settings._logging import log_dir, setup_logging
from pwtray.settings._secrets import KeyringSecrets, SecretStore, SessionSecrets
from pwtray.settings._store import (
    NOTIFICATION_KINDS,
    SCHEMA,
    Connection,
    Display,
    History,
    Loaded,
    Notifications,
    Polling,
    Settings,
    default_path,
    dumps,
    load,
    save,
)

__all__ = [
    "NOTIFICATION_KINDS",
    "SCHEMA",
    "Connection",
    "Display",
    "History",
    "KeyringSecrets",
    "KeyringTokenStore",
    "Loaded",
    "Notifications",
    "Polling",
    "SecretStore",
    "SessionSecrets",
    "Settings",
    "autostart",
    "default_path",
    "dumps",
    "load",
    "log_dir",
    "save",
    "setup_logging",
]
