"""Start at login: an XDG autostart file (Linux), the HKCU Run key (Windows), a LaunchAgent
(macOS). No Qt here."""

from __future__ import annotations

import os
import plistlib
import shlex
import sys
from pathlib import Path

APP_ID = "io.github.pwtray"
RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def _xdg_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / "pwtray.desktop"


def _launch_agent() -> Path:
    return Path.home() / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def default_command() -> list[str]:
    """How to start this pwtray: the frozen executable, or this Python with ``-m pwtray.cli``."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "pwtray.cli"]


def is_enabled() -> bool:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
                winreg.QueryValueEx(key, "pwtray")
        except OSError:
            return False
        return True
    path = _launch_agent() if sys.platform == "darwin" else _xdg_file()
    return path.exists()


def enable(command: list[str] | None = None) -> Path | None:
    """Start pwtray at login; returns the file written (None on Windows: the registry)."""
    command = command or default_command()
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        import subprocess
        import winreg

        with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.SetValueEx(key, "pwtray", 0, winreg.REG_SZ, subprocess.list2cmdline(command))
        return None
    if sys.platform == "darwin":  # pragma: no cover - exercised on macOS
        path = _launch_agent()
        path.parent.mkdir(parents=True, exist_ok=True)
        agent = {"Label": APP_ID, "ProgramArguments": command, "RunAtLoad": True,
                 "ProcessType": "Interactive"}  # fmt: skip
        path.write_bytes(plistlib.dumps(agent))
        return path
    path = _xdg_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    exec_line = " ".join(shlex.quote(part) for part in command)
    path.write_text(
        "[Desktop Entry]\nType=Application\nName=pwtray\n"
        "Comment=Powerwall battery and grid status in the tray\n"
        f"Exec={exec_line}\nIcon=pwtray\nTerminal=false\nX-GNOME-Autostart-enabled=true\n",
        encoding="utf-8",
    )
    return path


def disable() -> None:
    if sys.platform == "win32":  # pragma: no cover - exercised on Windows
        import winreg

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY, 0, winreg.KEY_SET_VALUE) as key:
                winreg.DeleteValue(key, "pwtray")
        except OSError:
            pass
        return
    path = _launch_agent() if sys.platform == "darwin" else _xdg_file()
    path.unlink(missing_ok=True)
