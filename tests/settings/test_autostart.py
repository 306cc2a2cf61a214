"""Start at login on Linux: an XDG autostart file, created and removed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pwtray.settings import autostart

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="the XDG autostart file is Linux's")


def test_enable_writes_an_autostart_entry_and_disable_removes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert not autostart.is_enabled()
    path = autostart.enable(["/opt/pwtray/pwtray", "--verbose"])
    assert path == tmp_path / "autostart" / "pwtray.desktop"
    text = path.read_text()
    assert "Exec=/opt/pwtray/pwtray --verbose\n" in text
    assert "Type=Application" in text
    assert autostart.is_enabled()
    autostart.disable()
    assert not path.exists()
    assert not autostart.is_enabled()
    autostart.disable()  # twice is fine


def test_the_default_command_starts_this_pwtray(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = autostart.enable()
    assert path is not None
    assert f"Exec={sys.executable} -m pwtray.cli" in path.read_text()


def test_paths_with_spaces_are_quoted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    path = autostart.enable(["/home/me/My Apps/pwtray"])
    assert path is not None
    assert "Exec='/home/me/My Apps/pwtray'" in path.read_text()
