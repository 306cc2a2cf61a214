"""Build every icon file from ``resources/pwtray.svg``, reproducibly (same Qt, same bytes).

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [--check]

Writes ``resources/icons/hicolor/<n>x<n>/apps/pwtray.png`` (16 … 512), ``resources/pwtray.ico``
(16 … 256, PNG entries) and ``resources/pwtray.icns`` (16 … 1024, PNG entries). The .ico and
.icns containers are written here by hand: both are a small header and a table of PNGs.
``--check`` writes nothing and fails if a committed file differs from what the SVG gives.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "resources" / "pwtray.svg"
HICOLOR = (16, 22, 24, 32, 48, 64, 128, 256, 512)
ICO = (16, 24, 32, 48, 64, 128, 256)
ICNS = {16: b"icp4", 32: b"icp5", 64: b"icp6", 128: b"ic07", 256: b"ic08", 512: b"ic09",
        1024: b"ic10"}  # fmt: skip


def render(renderer: QSvgRenderer, size: int) -> bytes:
    image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    image.save(buffer, "PNG")  # type: ignore[call-overload]  # the stubs say bytes; it takes str
    return bytes(data.data())


def ico(pngs: dict[int, bytes]) -> bytes:
    header = struct.pack("<HHH", 0, 1, len(pngs))
    offset = 6 + 16 * len(pngs)
    table, blobs = b"", b""
    for size, png in sorted(pngs.items()):
        side = 0 if size >= 256 else size  # 0 means 256 in the directory
        table += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(png), offset + len(blobs))
        blobs += png
    return header + table + blobs


def icns(pngs: dict[int, bytes]) -> bytes:
    body = b"".join(ICNS[size] + struct.pack(">I", 8 + len(png)) + png
                    for size, png in sorted(pngs.items()))  # fmt: skip
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def main() -> int:
    app = QGuiApplication(sys.argv[:1])
    renderer = QSvgRenderer(str(SOURCE))
    if not renderer.isValid():
        print(f"cannot read {SOURCE}", file=sys.stderr)
        return 1
    sizes = sorted(set(HICOLOR) | set(ICO) | set(ICNS))
    pngs = {size: render(renderer, size) for size in sizes}
    files = {
        ROOT / "resources" / "icons" / "hicolor" / f"{n}x{n}" / "apps" / "pwtray.png": pngs[n]
        for n in HICOLOR
    }
    files[ROOT / "resources" / "pwtray.ico"] = ico({s: pngs[s] for s in ICO})
    files[ROOT / "resources" / "pwtray.icns"] = icns({s: pngs[s] for s in ICNS})
    if "--check" in sys.argv:
        stale = [str(p.relative_to(ROOT)) for p, data in files.items()
                 if not p.exists() or p.read_bytes() != data]  # fmt: skip
        if stale:
            print(f"not what {SOURCE.name} gives (run make_icons.py): {', '.join(stale)}",
                  file=sys.stderr)  # fmt: skip
            return 1
        print(f"{len(files)} icon files match {SOURCE.name}")
        return 0
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    print(f"wrote {len(HICOLOR)} PNG sizes, pwtray.ico ({len(ICO)} sizes), "
          f"pwtray.icns ({len(ICNS)} sizes)")  # fmt: skip
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
