"""With no display at all, every way of starting the app says so in one sentence and exits with
its documented code — never a Qt abort."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

EXIT_NO_DESKTOP = 12


@pytest.mark.parametrize("args", [[], ["--demo"], ["--selftest"]])
def test_no_display_is_one_clear_sentence(args: list[str]) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, "-m", "pwtray.cli", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert result.returncode == EXIT_NO_DESKTOP, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("pwtray: this session has no graphical desktop")
    assert "pwtray status" in lines[0]  # what to do instead
    assert result.stdout == ""
