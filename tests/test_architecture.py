"""The layout DESIGN.md promises, checked on the source: who builds clients and pollers, who may
name a client at all, and each package's public surface."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1] / "pwtray"


def modules() -> list[Path]:
    return sorted(ROOT.rglob("*.py"))


def calls(path: Path, name: str) -> list[int]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            func = node.func
            called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
            if called == name:
                found.append(node.lineno)
    return found


def names(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        alias.asname or alias.name
        for n in ast.walk(tree)
        if isinstance(n, ast.ImportFrom)
        for alias in n.names
    }


@pytest.mark.parametrize("built", ["GatewayClient", "Poller"])
def test_only_the_core_builds_clients_and_pollers(built: str) -> None:
    allowed = {ROOT / "core", ROOT / "gateway" if built == "GatewayClient" else ROOT / "monitor"}
    outside = {
        str(p.relative_to(ROOT)): lines
        for p in modules()
        if (lines := calls(p, built)) and not any(p.is_relative_to(a) for a in allowed)
    }
    assert outside == {}


def test_no_widget_or_dialog_holds_a_client() -> None:
    holding = [str(p.relative_to(ROOT)) for p in (ROOT / "ui").rglob("*.py")
               if "GatewayClient" in names(p)]  # fmt: skip
    assert holding == []


@pytest.mark.parametrize(
    "package", ["pwtray.core", "pwtray.gateway", "pwtray.monitor", "pwtray.settings"]
)
def test_each_package_exports_exactly_its_public_names(package: str) -> None:
    module = importlib.import_module(package)
    public = {n for n in dir(module) if not n.startswith("_")}
    submodules = {n for n in public if type(getattr(module, n)).__name__ == "module"}
    exported = set(module.__all__)
    assert (public - submodules) | (submodules & exported) == exported
