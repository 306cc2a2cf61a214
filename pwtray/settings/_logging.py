"""Logging to a rotating file in the user log directory. No Qt here.

The caller passes the filters every record must go through (the app passes the gateway's
``RedactingFilter``, so passwords, tokens and cookies never reach a log line); nothing is
configured on import."""

from __future__ import annotations

import logging
import logging.handlers
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from pwtray.settings._private import PrivateRotatingFileHandler, private_folder

LOG_FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir("pwtray", appauthor=False))


def setup_logging(
    *,
    verbose: bool = False,
    directory: Path | None = None,
    filters: Sequence[logging.Filter] = (),
) -> Path:
    """Send pwtray's log to ``pwtray.log`` (rotating, 3 files of 1 MB); return the file's path.

    Every handler gets ``filters``; the file is private to the user (0600, folder 0700).
    """
    folder = directory or log_dir()
    private_folder(folder)
    path = folder / "pwtray.log"
    handler = PrivateRotatingFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for log_filter in filters:
        handler.addFilter(log_filter)
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    if verbose:
        console = logging.StreamHandler()
        console.setFormatter(logging.Formatter(LOG_FORMAT))
        for log_filter in filters:
            console.addFilter(log_filter)
        root.addHandler(console)
    for noisy in ("httpx", "httpcore", "asyncio"):  # request lines only with --verbose
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbose else logging.WARNING)
    # qasync's DEBUG lines print the results of futures — a password read from the keyring
    # in a worker thread among them — and say nothing useful: never below WARNING.
    logging.getLogger("qasync").setLevel(logging.WARNING)
    return path
