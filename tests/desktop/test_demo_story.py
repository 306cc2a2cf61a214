"""The demo's story on the real desktop: the grid fails, the user is told, the grid returns."""

from __future__ import annotations

from collections.abc import Callable

from tests.desktop.conftest import RunningApp
from tests.desktop.realdesktop import RealDesktop


def test_outage_and_restore_reach_the_real_notification_daemon(
    desktop: RealDesktop, start_app: Callable[..., RunningApp]
) -> None:
    before = len(desktop.notifications())
    app = start_app("--demo")
    outage = desktop.wait_for_notification("Grid outage", after=before, timeout_s=60)
    assert "running on the Powerwall" in outage.body
    restored = desktop.wait_for_notification("Grid restored", after=before, timeout_s=90)
    assert "The grid is back after" in restored.body
    assert app.stop() == 0
    assert "stopped cleanly" in app.text()
