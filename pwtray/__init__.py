"""pwtray: a desktop tray monitor for a Tesla Powerwall 2 / Backup Gateway."""

__version__ = "0.1.0"
