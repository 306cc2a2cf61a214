"""The log file: secrets redacted on every line (the HTTP libraries' too), private to the user."""

from __future__ import annotations

import logging
import stat
from pathlib import Path


def test_httpcore_debug_lines_reach_the_file_without_the_cookie(app_log: Path) -> None:
    path = app_log
    logging.getLogger("httpcore.http11").debug(
        "receive_response_headers.complete return_value=%s",
        "(b'Set-Cookie', b'AuthCookie=s3cr3t-T0ken; Path=/')",
    )
    logging.getLogger("pwtray.test").info('login {"password":"hunter2"}')
    text = path.read_text()
    assert "AuthCookie=<redacted>" in text
    assert "s3cr3t-T0ken" not in text
    assert "hunter2" not in text


def test_the_log_and_its_folder_are_private(app_log: Path) -> None:
    path = app_log
    logging.getLogger("pwtray.test").warning("something")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
