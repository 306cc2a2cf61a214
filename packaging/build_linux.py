"""Build the Linux bundle and its archive.

    .venv/bin/python packaging/build_linux.py

1. PyInstaller (packaging/pwtray.spec) makes the onedir ``dist/pwtray``;
2. the menu entry, hicolor icons, AppStream metainfo and the per-user install and uninstall
   scripts go beside it (``share/``, ``install.sh``, ``uninstall.sh``);
3. ``dist/pwtray-<version>-linux-<machine>.tar.gz`` holds it all under ``pwtray-<version>/``.

Prints the bundle's and the archive's sizes and the build time.
"""

from __future__ import annotations

import platform
import shutil
import subprocess
import sys
import tarfile
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
BUNDLE = DIST / "pwtray"
LINUX = ROOT / "packaging" / "linux"


def size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.lstat().st_size for p in path.rglob("*") if not p.is_symlink()) / 1e6


def main() -> int:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level", "WARN",
         "--distpath", str(DIST), "--workpath", str(ROOT / "build" / "pyinstaller"),
         str(ROOT / "packaging" / "pwtray.spec")],
        check=True, cwd=ROOT,
    )  # fmt: skip
    built = time.perf_counter() - started
    share = BUNDLE / "share"
    icons = ROOT / "resources" / "icons" / "hicolor"
    shutil.copytree(icons, share / "icons" / "hicolor", dirs_exist_ok=True)
    (share / "applications").mkdir(parents=True, exist_ok=True)
    shutil.copy2(LINUX / "io.github.pwtray.desktop", share / "applications")
    (share / "metainfo").mkdir(parents=True, exist_ok=True)
    shutil.copy2(LINUX / "io.github.pwtray.metainfo.xml", share / "metainfo")
    for script in ("install.sh", "uninstall.sh"):
        shutil.copy2(LINUX / script, BUNDLE / script)
    desktop = share / "applications" / "io.github.pwtray.desktop"
    metainfo = share / "metainfo" / "io.github.pwtray.metainfo.xml"
    checks = (("desktop-file-validate", [str(desktop)]),
              ("appstreamcli", ["validate", "--no-net", str(metainfo)]))  # fmt: skip
    for tool, args in checks:
        if shutil.which(tool):
            subprocess.run([tool, *args], check=True)
    name = f"pwtray-{version('pwtray')}"
    archive = DIST / f"{name}-linux-{platform.machine()}.tar.gz"
    with tarfile.open(archive, "w:gz", compresslevel=9) as tar:
        tar.add(BUNDLE, arcname=name)
    total = time.perf_counter() - started
    print(f"bundle {BUNDLE.relative_to(ROOT)}: {size_mb(BUNDLE):.0f} MB; archive "
          f"{archive.relative_to(ROOT)}: {size_mb(archive):.0f} MB; PyInstaller {built:.0f} s, "
          f"all {total:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
