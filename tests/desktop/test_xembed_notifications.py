"""The XEmbed fallback (``trayer``: no StatusNotifierWatcher on the bus): the icon is an XEmbed
tray icon, and notifications still go to the desktop's notification daemon, never to Qt's own
balloons (which never reached dunst and were gone within ~20 s)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.desktop.conftest import RunningApp
from tests.desktop.realdesktop import DesktopUnavailableError, RealDesktop, real_desktop


@pytest.fixture(scope="module")
def desktop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealDesktop]:
    try:
        with real_desktop(tmp_path_factory.mktemp("xembed-desktop"), xembed=True) as running:
            yield running
    except DesktopUnavailableError as exc:
        pytest.fail(str(exc))


def test_on_an_xembed_tray_the_outage_still_reaches_dunst(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app("--demo", "--speed", "10", "--poll-seconds", "0.5")
    outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
    restored = desktop.wait_for_notification("Grid restored", after=before, timeout_s=60)
    desktop.shot("xembed-restored")
    assert outage.critical
    assert outage.actions == {"default": "Open pwtray", "acknowledge": "Acknowledge"}
    assert restored.id == outage.id
    assert app.stop() == 0
    log = app.text()
    assert "running; tray available: True" in log  # trayer hosts the icon
    assert "notifications through dunst" in log
    assert "balloon:" not in log
