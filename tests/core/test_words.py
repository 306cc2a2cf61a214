"""The words people read: why a password lasts this session only, the gateway's codes said in
words, and no endpoint path or raw code in what the dialogs and the doctor say."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pwtray.core.words import (
    KEYRING_PROBLEMS,
    alert_label,
    grid_label,
    keyring_text,
    mode_label,
    readable,
)
from pwtray.gateway import GridState, OperationMode
from pwtray.settings import KeyringProblem

ROOT = Path(__file__).resolve().parents[2] / "pwtray"
# What people read, owned here: the dialogs, the window, the doctor and network info, words.
SPOKEN = [
    *(ROOT / "ui" / f"{name}.py" for name in ("wizard", "connection_dialog", "mode_dialog",
                                             "network_dialog", "history_view", "window", "flow")),
    ROOT / "core" / "words.py", ROOT / "core" / "_doctor.py", ROOT / "core" / "_system_info.py",
]  # fmt: skip


@pytest.mark.parametrize("problem", list(KeyringProblem))
def test_each_keyring_problem_is_one_sentence_with_the_fallback(problem: KeyringProblem) -> None:
    text = keyring_text(problem)
    assert text.endswith(".")
    assert ". " not in text  # one sentence
    assert "for this session only" in text
    assert "InitError" not in text
    assert "install" not in text.lower()  # gnome-keyring was installed when this was said


def test_the_keyring_problems_are_told_apart() -> None:
    assert len(set(KEYRING_PROBLEMS.values())) == len(KeyringProblem)
    assert "creating one was cancelled" in keyring_text(KeyringProblem.NO_DEFAULT)
    assert "locked" in keyring_text(KeyringProblem.LOCKED)
    assert "prompt was cancelled" in keyring_text(KeyringProblem.CANCELLED)
    assert "no keyring" in keyring_text(KeyringProblem.MISSING)
    assert keyring_text(None) == "The password is kept in the system keyring, never in a file."


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("WPAorWPA2_Personal", "WPA or WPA2 personal"),
        ("SystemConnectedToGrid", "System connected to grid"),
        ("SystemIslandedActive", "System islanded active"),
        ("FWUpdateSucceeded", "FW update succeeded"),
        ("update_succeeded", "Update succeeded"),
        ("BluetoothType", "Bluetooth"),
    ],
)
def test_gateway_codes_are_said_in_words(code: str, words: str) -> None:
    assert readable(code) == words


def test_an_alert_is_said_in_words() -> None:
    assert alert_label("RealPowerAvailableLimited") == "Real power available limited"


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        and id(node) not in docstrings
    ]  # fmt: skip


@pytest.mark.parametrize("path", SPOKEN, ids=lambda p: p.name)
def test_no_endpoint_path_and_no_menu_that_does_not_exist(path: Path) -> None:
    said = _strings(path)
    assert not [s for s in said if "/api/" in s]
    # The tray menu has "Connection…" and "Preferences…"; there is no "Settings" item.
    assert not [s for s in said if re.search(r"\bSettings\b.*\bmenu\b|\bunder Settings\b", s)]
    assert not [s for s in said if re.search(r"\b(FAILED|NOT)\b", s)]  # no shouting


@pytest.mark.parametrize("state", list(GridState))
def test_every_grid_state_has_its_own_words(state: GridState) -> None:
    said = grid_label(state)
    assert said
    assert "_" not in said
    assert said != state.value
    others = {grid_label(s) for s in GridState if s is not state}
    assert said not in others


@pytest.mark.parametrize("mode", list(OperationMode))
def test_every_mode_has_the_tesla_apps_name(mode: OperationMode) -> None:
    assert mode_label(mode) == mode_label(mode.value)
    assert "_" not in mode_label(mode)
