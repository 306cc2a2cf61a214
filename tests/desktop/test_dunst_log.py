"""Reading dunst's log (``dunst -print``) as the real-desktop tests do: a block exactly as
dunst 1.9 printed it for pwtray's outage notice."""

from __future__ import annotations

from tests.desktop.realdesktop import parse_dunst_log

OUTAGE_BLOCK = """{
\tappname: 'pwtray'
\tsummary: 'Grid outage'
\tbody: 'The grid went down at 13:56. The house is running on the Powerwall,
now 72 %.'
\ticon: 'file:///opt/pwtray/resources/icons/hicolor/48x48/apps/pwtray.png'
\traw_icon set: false
\ticon_id: '(null)'
\tdesktop_entry: 'io.github.pwtray'
\tcategory: device.error
\ttimeout: 0
\turgency: CRITICAL
\ttransient: 0
\tformatted: '<b>Grid outage</b>
The grid went down at 13:56.'
\tfg: #ffffff
\tbg: #900000
\tid: 4
\tactions: {
\t\t"acknowledge": "Acknowledge"
\t\t"default": "Open pwtray"
\t}
\tscript_count: 0
}
"""


def test_every_field_and_every_action_of_a_notification_is_read() -> None:
    (notice,) = parse_dunst_log(OUTAGE_BLOCK)
    assert (notice.id, notice.appname, notice.summary) == (4, "pwtray", "Grid outage")
    assert (
        notice.body
        == "The grid went down at 13:56. The house is running on the Powerwall,\nnow 72 %."
    )
    assert notice.critical
    assert (notice.timeout, notice.category) == (0, "device.error")
    assert notice.icon.endswith("/pwtray.png")
    assert notice.actions == {"acknowledge": "Acknowledge", "default": "Open pwtray"}
