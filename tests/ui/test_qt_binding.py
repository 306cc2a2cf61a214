"""The Qt binding must not lose references: pwtray runs for weeks in the tray."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from pwtray.ui.selftest import qt_binding_keeps_references


def test_void_qt_calls_keep_the_reference_to_none(qapp: QApplication) -> None:
    # PySide6 6.12.0 dropped one reference to None per call: on CPython 3.11 the tray app then
    # aborted with "none_dealloc" after hours of polling. The check raises on such a build.
    assert qt_binding_keeps_references().startswith("PySide6 ")
