"""The power-flow diagram: what it shows for given readings, and when it animates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from pwtray.gateway import GridState
from pwtray.monitor import Connectivity
from pwtray.ui.flow import FlowDiagram, Node, flow_state
from tests.ui.test_tray import snapshot

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"


def test_directions_follow_the_signs() -> None:
    state = flow_state(snapshot(solar_w=3000.0, site_w=-700.0, load_w=800.0, battery_w=-1500.0))
    assert state.path(Node.SOLAR) is not None
    assert (state.path(Node.SOLAR).watts, state.path(Node.SOLAR).into_hub) == (3000.0, True)  # type: ignore[union-attr]
    assert state.path(Node.GRID).into_hub is False  # type: ignore[union-attr] # exporting
    assert state.path(Node.POWERWALL).into_hub is False  # type: ignore[union-attr] # charging
    assert state.path(Node.HOME).into_hub is False  # type: ignore[union-attr]
    assert state.path(Node.GENERATOR) is None
    assert state.describe() == (
        "Solar produces 3.0 kW; Grid receives 0.7 kW; Home uses 0.8 kW; "
        "Powerwall charges with 1.5 kW"
    )


def test_an_outage_and_stale_readings_are_said() -> None:
    state = flow_state(snapshot(grid=GridState.ISLANDED, site_w=0.0, battery_w=900.0,
                                connectivity=Connectivity.STALE))  # fmt: skip
    assert state.outage
    assert not state.live
    assert state.describe().startswith("Grid outage; ")
    assert state.describe().endswith("readings are not live")
    assert state.path(Node.GRID).active is False  # type: ignore[union-attr]


def test_a_generator_appears_only_when_reported() -> None:
    assert flow_state(snapshot(generator_w=2500.0)).path(Node.GENERATOR) is not None


def test_animates_only_while_visible_and_not_with_reduced_motion(
    qapp: QApplication, qtbot: QtBot
) -> None:
    diagram = FlowDiagram()
    qtbot.addWidget(diagram)
    diagram.show_snapshot(snapshot())
    assert not diagram.is_animating()  # not shown yet
    diagram.show()
    qtbot.waitExposed(diagram)
    assert diagram.is_animating()
    diagram.hide()
    assert not diagram.is_animating()
    diagram.show()
    diagram.set_reduce_motion(True)
    assert not diagram.is_animating()
    diagram.set_reduce_motion(False)
    assert diagram.is_animating()
    diagram.show_snapshot(snapshot(connectivity=Connectivity.OFFLINE))
    assert not diagram.is_animating()  # nothing moves on old readings


def test_clicking_a_node_names_it(qapp: QApplication, qtbot: QtBot) -> None:
    diagram = FlowDiagram()
    qtbot.addWidget(diagram)
    diagram.resize(400, 400)
    diagram.show_snapshot(snapshot())
    diagram.show()
    qtbot.waitExposed(diagram)
    with qtbot.waitSignal(diagram.node_clicked) as clicked:
        where = diagram.node_centres()[Node.POWERWALL].toPoint()
        qtbot.mouseClick(diagram, Qt.MouseButton.LeftButton, pos=where)  # type: ignore[no-untyped-call]
    assert clicked.args == [Node.POWERWALL]


@pytest.mark.parametrize("dark", [False, True])
@pytest.mark.parametrize("outage", [False, True])
def test_screenshots(qapp: QApplication, qtbot: QtBot, dark: bool, outage: bool) -> None:
    diagram = FlowDiagram()
    qtbot.addWidget(diagram)
    if dark:
        palette = QPalette()
        for role, colour in ((QPalette.ColorRole.Window, QColor(37, 37, 40)),
                             (QPalette.ColorRole.Base, QColor(50, 50, 54)),
                             (QPalette.ColorRole.WindowText, QColor(235, 235, 235))):  # fmt: skip
            palette.setColor(role, colour)
        diagram.setPalette(palette)
        diagram.setAutoFillBackground(True)
    values: dict[str, Any] = {
        "solar_w": 3200.0,
        "site_w": -900.0,
        "load_w": 1100.0,
        "battery_w": -1200.0,
    }
    if outage:
        values = {"grid": GridState.ISLANDED, "solar_w": 0.0, "site_w": 0.0, "load_w": 1400.0,
                  "battery_w": 1400.0, "soe_percent": 47.0}  # fmt: skip
    diagram.show_snapshot(snapshot(**values))
    diagram.set_reduce_motion(True)  # a still picture
    diagram.resize(480, 420)
    diagram.show()
    qtbot.waitExposed(diagram)
    image = diagram.grab().toImage()
    ARTIFACTS.mkdir(exist_ok=True)
    name = f"flow-{'outage' if outage else 'sunny'}-{'dark' if dark else 'light'}.png"
    assert image.save(str(ARTIFACTS / name))
    grid = diagram.node_centres()[Node.GRID]
    r = diagram.radius()
    badge_red = sum(
        1
        for y in range(int(grid.y() - r * 1.4), int(grid.y() - r * 0.4))
        for x in range(int(grid.x() + r * 0.35), int(grid.x() + r * 1.35))
        if (c := image.pixelColor(x, y)).red() > 180 and c.green() < 90 and c.blue() < 90
    )
    assert (badge_red > 20) == outage  # the outage triangle on the grid node, and only then
