"""How reliably an OCR engine reads the charge off the real panel, over many charges.

    .venv/bin/python -m benchmarks.icon_ocr [--charges 0-100] [--panels dark,light]
                                            [--geometry 1600x900x24] [--shots DIR]

On the real desktop of the tests (tests/desktop/realdesktop.py: Xvfb, xfce4-panel with its
Status Tray, dunst), pwtray runs against a separate ``pwtray-sim`` on loopback. For each charge
the simulator's state is set through ``POST /_sim/set``; once the tooltip says the charge, the
screen is captured, the icon the app registered is found in the panel strip and ``tesseract``
reads its digits (page segmentation 6, as the tests, and 7, a single line). Printed: the icon's
size and digit height as the panel shows them, the read rate per panel and mode, the misreads.
"""

from __future__ import annotations

import argparse
import functools
import shutil
import sys
import tempfile
from pathlib import Path

import httpx
from jeepney import DBusAddress
from jeepney.io.blocking import DBusConnection

from benchmarks._sim import PASSWORD, simulator
from tests.desktop.panelicon import (
    find_icon,
    icon_pixmaps,
    screen,
    session_bus,
    tooltip_title,
    tray_item,
)
from tests.desktop.realdesktop import RealDesktop, real_desktop
from tests.iconreading import Array, digit_height, read_digits
from tests.waiting import wait_until

PANEL_PX = 26
ICON_PX = 22
MODES = (6, 7)


def charges(spec: str) -> list[int]:
    values: list[int] = []
    for part in spec.split(","):
        first, _, last = part.partition("-")
        values += range(int(first), int(last or first) + 1)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charges", default="0-100", help="e.g. 0-100 or 0,5,9,10,42,100")
    parser.add_argument("--panels", default="dark,light")
    parser.add_argument("--geometry", default="1600x900x24", help="the screen, as Xvfb takes it")
    parser.add_argument("--shots", type=Path, help="keep each panel's last screenshot here")
    args = parser.parse_args()
    if shutil.which("tesseract") is None:
        sys.exit("benchmarks.icon_ocr needs tesseract: run 'sudo scripts/install-system-packages'")
    wanted = charges(args.charges)
    print(f"{'panel':<7}{'mode':>5}{'read':>10}{'rate':>8}  misread (charge: read)")
    for panel in args.panels.split(","):
        knobs = {"PANEL_DARK": str(panel == "dark").lower(), "DESKTOP_GEOMETRY": args.geometry}
        with (
            tempfile.TemporaryDirectory(prefix="pwtray-ocr-") as folder,
            real_desktop(Path(folder) / "desktop", knobs=knobs) as desktop,
        ):
            results, heights = measure(desktop, Path(folder), wanted, args.shots, panel)
        for mode in MODES:
            misread = {c: r[mode] for c, r in results.items() if r[mode] != str(c)}
            read = len(wanted) - len(misread)
            rate = f"{read / len(wanted):.0%}"
            print(f"{panel:<7}{mode:>5}{read:>6}/{len(wanted):<3}{rate:>8}  {misread or ''}")
        print(
            f"{'':<7}digit height in the panel: {min(heights)}-{max(heights)} px "
            f"(icon {ICON_PX} px, panel {PANEL_PX} px, screen {args.geometry})"
        )


def measure(
    desktop: RealDesktop, folder: Path, wanted: list[int], shots: Path | None, panel: str
) -> tuple[dict[int, dict[int, str]], list[int]]:
    results: dict[int, dict[int, str]] = {}
    heights: list[int] = []
    with simulator("--soe", str(wanted[0])) as sim:
        control = httpx.Client(base_url=f"https://{sim.address}", verify=False)  # noqa: S501 - loopback simulator
        control.post("/_sim/set", json={"load_w": 0, "solar_w": 0}).raise_for_status()
        command = [
            sys.executable,
            "-m",
            "pwtray.cli",
            "--host",
            sim.address,
            "--fingerprint",
            sim.fingerprint,
            "--poll-seconds",
            "1",
        ]
        (folder / "tmp").mkdir()
        app = desktop.popen(
            command, env={"TMPDIR": str(folder / "tmp"), "PWTRAY_PASSWORD": PASSWORD}
        )
        try:
            with session_bus(desktop) as bus:
                item = wait_until(lambda: tray_item(bus), 60, "pwtray's item on the panel")
                for charge in wanted:
                    control.post("/_sim/set", json={"soe": charge}).raise_for_status()
                    title = f"Powerwall {charge} %"
                    wait_until(functools.partial(says, bus, item, title), 30, title)
                    template = icon_pixmaps(bus, item)[ICON_PX]
                    icon = wait_until(functools.partial(shown, desktop, template), 30, "icon")[0]
                    heights.append(digit_height(icon))
                    results[charge] = {mode: read_digits(icon, psm=mode) for mode in MODES}
            if shots is not None:
                shots.mkdir(parents=True, exist_ok=True)
                shutil.copy(desktop.shots_dir / "ocr.png", shots / f"ocr-{panel}.png")
        finally:
            control.close()
            app.terminate()
            app.wait(20)
    return results, heights


def says(bus: DBusConnection, item: DBusAddress, title: str) -> bool:
    return tooltip_title(bus, item).startswith(title)


def shown(desktop: RealDesktop, template: Array) -> list[Array]:
    """The icon's pixels once the panel shows ``template`` unchanged, else []."""
    shot = screen(desktop.shot("ocr"))
    match = find_icon(shot, template, PANEL_PX)
    if match.mean_error >= 1.0:
        return []
    return [shot[match.y : match.y + ICON_PX, match.x : match.x + ICON_PX]]


if __name__ == "__main__":
    main()
