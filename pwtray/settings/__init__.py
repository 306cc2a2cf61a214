"""Settings, secrets, logging and start-at-login. No Qt here."""

from pwtray.settings import _autostart as autostart
from pwtray.settings._logging import log_dir, setup_logging

__all__ = ["autostart", "log_dir", "setup_logging"]
