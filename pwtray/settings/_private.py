"""Files and folders only the user can read: 0600 files in 0700 folders.

pwtray's settings, history, logs and state describe a household (when it is home, its energy
use, its gateway's address). Everything pwtray creates is private to the user, whatever the
process umask; a folder pwtray made earlier with wider permissions is tightened.
"""

from __future__ import annotations

import contextlib
import logging.handlers
import os
from pathlib import Path
from typing import Any

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(folder: Path) -> Path:
    """Create ``folder`` (and parents) as 0700; tighten it if it exists with wider access."""
    folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    with contextlib.suppress(OSError):  # not ours to change (a shared folder): leave it
        if folder.stat().st_mode & 0o077:
            folder.chmod(FOLDER_MODE)
    return folder


def private_file(path: Path) -> Path:
    """Create ``path`` empty as 0600 if it does not exist; tighten it if it does."""
    private_folder(path.parent)
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


class PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log whose files (the current one and every rotated one) are 0600."""

    def _open(self) -> Any:
        private_file(Path(self.baseFilename))
        return super()._open()
