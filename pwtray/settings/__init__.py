"""Settings, secrets, logging and start-at-login. A leaf: it imports only ``pwtray.kinds``."""

from pwtray.settings import _autostart as autostart
from pwtray.settings._cloud_tokens import KeyringTokenStore
from pwtray.settings._logging import log_dir, setup_logging
from pwtray.settings._private import private_file, private_folder
from pwtray.settings._redact import RedactingFilter, redact
from pwtray.settings._secrets import (
    KeyringProblem,
    KeyringSecrets,
    SecretStore,
    SessionSecrets,
    nut_account,
)
from pwtray.settings._store import (
    ACTION_NAMES,
    NOTIFICATION_KINDS,
    SCHEMA,
    Action,
    Actions,
    Cloud,
    Connection,
    Display,
    History,
    Loaded,
    Notifications,
    Nut,
    Polling,
    ScheduleEntry,
    Settings,
    Shutdown,
    default_path,
    dumps,
    load,
    save,
)

__all__ = [
    "ACTION_NAMES",
    "NOTIFICATION_KINDS",
    "SCHEMA",
    "Action",
    "Actions",
    "Cloud",
    "Connection",
    "Display",
    "History",
    "KeyringProblem",
    "KeyringSecrets",
    "KeyringTokenStore",
    "Loaded",
    "Notifications",
    "Nut",
    "Polling",
    "RedactingFilter",
    "ScheduleEntry",
    "SecretStore",
    "SessionSecrets",
    "Settings",
    "Shutdown",
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
