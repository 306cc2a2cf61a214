"""Logging to a rotating file in the user log directory, secrets redacted. No Qt here."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

import platformdirs

from pwtray.gateway import RedactingFilter

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("pwtray", appauthor=False))


def setup_logging(*, verbose: bool = False, directory: Path | None = None) -> Path:
    """Send pwtray's log to ``pwtray.log`` (rotating, 3 files of 1 MB); return the file's path."""
    folder = directory or log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "pwtray.log"
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=1_000_000, backupCount=3,
                                                   encoding="utf-8")  # fmt: skip
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RedactingFilter())
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(LOG_FORMAT))
        console.addFilter(RedactingFilter())
        root.addHandler(console)
    for noisy in ("httpx", "httpcore", "asyncio"):  # request lines only with --verbose
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    return path
