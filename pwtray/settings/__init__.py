"""Settings, secrets, logging and start-at-login. A leaf: it imports only ``pwtray.kinds``."""

from pwtray.settings import _autostart as autostart
from pwtray.settings._cloud_tokens import KeyringTokenStore
from pwtray.settings._logging import log_dir, setup_logging
from pwtray.settings._private import private_file, private_folder
from pwtray.settings._redact import RedactingFilter, redact
from pwtray.settings._secrets import KeyringSecrets, SecretStore, SessionSecrets, nut_account
from pwtray.settings._store import (
    NOTIFICATION_KINDS,
    SCHEMA,
    Connection,
    Display,
    History,
    Loaded,
    Notifications,
    Nut,
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
    "Nut",
    "Polling",
    "RedactingFilter",
    "SecretStore",
    "SessionSecrets",
    "Settings",
    "autostart",
    "default_path",
    "dumps",
    "load",
    "log_dir",
    "nut_account",
    "private_file",
    "private_folder",
    "redact",
    "save",
    "setup_logging",
]
