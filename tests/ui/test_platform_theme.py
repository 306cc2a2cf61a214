"""Which Qt platform theme the tray app asks for: Qt's own GNOME theme wherever Qt would load its
GTK3 one (and GTK with it), nothing where Qt would not, and never over the user's own choice.
(On the real Xfce desktop: tests/desktop/test_footprint.py.)"""

from __future__ import annotations

import pytest

from pwtray.ui.app import qt_arguments

LIGHT = ["pwtray", "-platformtheme", "gnome"]


@pytest.mark.parametrize(
    ("session", "platform", "expected"),
    [
        ("XFCE", "linux", LIGHT),
        ("ubuntu:GNOME", "linux", LIGHT),
        ("X-Cinnamon", "linux", LIGHT),
        ("MATE", "freebsd14", LIGHT),
        ("KDE", "linux", ["pwtray"]),  # Qt's KDE theme loads no GTK
        ("", "linux", ["pwtray"]),  # an unknown session: Qt's generic theme
        ("XFCE", "win32", ["pwtray"]),
        ("XFCE", "darwin", ["pwtray"]),
    ],
)
def test_the_light_theme_where_qt_would_load_gtk(
    session: str, platform: str, expected: list[str]
) -> None:
    assert qt_arguments(["pwtray"], {"XDG_CURRENT_DESKTOP": session}, platform) == expected


def test_a_theme_the_user_chose_is_left_to_qt() -> None:
    environ = {"XDG_CURRENT_DESKTOP": "XFCE", "QT_QPA_PLATFORMTHEME": "gtk3"}
    assert qt_arguments(["/usr/bin/pwtray"], environ, "linux") == ["/usr/bin/pwtray"]


def test_without_a_program_name_qt_still_gets_one_before_its_options() -> None:
    # Qt reads argv[0] as the program, never as an option
    assert qt_arguments([], {"XDG_CURRENT_DESKTOP": "XFCE"}, "linux") == LIGHT
