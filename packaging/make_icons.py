"""Build every icon file from ``resources/pwtray.svg``.

    QT_QPA_PLATFORM=offscreen .venv/bin/python packaging/make_icons.py [--check]

Writes ``resources/icons/hicolor/<n>x<n>/apps/pwtray.png`` (16 … 512), ``resources/pwtray.ico``
(16 … 256, PNG entries) and ``resources/pwtray.icns`` (16 … 1024, PNG entries). The .ico and
.icns containers are written here by hand: both are a small header and a table of PNGs.
``resources/icons/SOURCES.sha256`` records the SHA-256 of the SVG and of this script.

``--check`` writes nothing. It fails if the SVG or this script changed since the files were made
(the recorded hashes), or if any committed image is not what the SVG gives: every file must hold
its sizes, and its pixels must match a fresh render to within what a different rasteriser patch
version changes (a few levels on a few edge pixels) — not byte for byte, which no two Qt versions
promise.
"""

from __future__ import annotations

import hashlib
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
MANIFEST = ROOT / "resources" / "icons" / "SOURCES.sha256"
# A rasteriser patch release moves anti-aliased edge pixels by a level or two; a changed drawing
# moves many pixels by much more. Allowed: no channel off by more than MAX_LEVELS, and no more
# than MAX_CHANGED_SHARE of the pixels off by more than 2 levels.
MAX_LEVELS = 24
MAX_CHANGED_SHARE = 0.02
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


def inputs_digest() -> str:
    """The recorded form of what the icons are made from: the SVG and this script."""
    lines = [f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.relative_to(ROOT)}"
             for path in (SOURCE, Path(__file__).resolve())]  # fmt: skip
    return "\n".join(lines) + "\n"


def ico_entries(data: bytes) -> dict[int, bytes]:
    count = struct.unpack_from("<HHH", data)[2]
    entries = {}
    for index in range(count):
        side, _h, _c, _r, _p, _b, length, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * index
        )
        entries[side or 256] = data[offset : offset + length]
    return entries


def icns_entries(data: bytes) -> dict[int, bytes]:
    sizes = {tag: size for size, tag in ICNS.items()}
    entries, offset = {}, 8
    while offset < len(data):
        tag, length = data[offset : offset + 4], struct.unpack_from(">I", data, offset + 4)[0]
        if tag in sizes:
            entries[sizes[tag]] = data[offset + 8 : offset + length]
        offset += max(8, length)
    return entries


def difference(committed: bytes, fresh: bytes, size: int) -> str | None:
    """Why a committed PNG is not what the SVG gives, or None when it is (within tolerance)."""
    image = QImage.fromData(committed)
    if image.isNull() or image.width() != size or image.height() != size:
        return f"not a {size}x{size} image"
    a = image.convertToFormat(QImage.Format.Format_RGBA8888)
    b = QImage.fromData(fresh).convertToFormat(QImage.Format.Format_RGBA8888)
    pa, pb = bytes(a.constBits()), bytes(b.constBits())
    worst, changed = 0, 0
    for pixel in range(0, len(pa), 4):
        off = max(
            abs(x - y) for x, y in zip(pa[pixel : pixel + 4], pb[pixel : pixel + 4], strict=True)
        )
        worst = max(worst, off)
        changed += off > 2
    if worst > MAX_LEVELS or changed > MAX_CHANGED_SHARE * size * size:
        return f"{changed} pixels differ, up to {worst} levels"
    return None


def check(files: dict[Path, bytes], pngs: dict[int, bytes]) -> list[str]:
    problems = []
    if not MANIFEST.exists() or MANIFEST.read_text() != inputs_digest():
        problems.append(
            f"{MANIFEST.name}: the SVG or this script changed since the icons were made"
        )
    for path, data in files.items():
        name = str(path.relative_to(ROOT))
        if not path.exists():
            problems.append(f"{name}: missing")
            continue
        committed = path.read_bytes()
        if path.suffix == ".png":
            entries = {int(path.parts[-3].split("x")[0]): committed}
        elif path.suffix == ".ico":
            entries = ico_entries(committed)
        else:
            entries = icns_entries(committed)
        expected = set(ico_entries(data) if path.suffix == ".ico" else
                       icns_entries(data) if path.suffix == ".icns" else entries)  # fmt: skip
        if set(entries) != expected:
            problems.append(f"{name}: sizes {sorted(entries)}, expected {sorted(expected)}")
            continue
        for size, png in sorted(entries.items()):
            why = difference(png, pngs[size], size)
            if why:
                problems.append(f"{name} at {size} px: {why}")
    return problems


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
        problems = check(files, pngs)
        if problems:
            print(f"not what {SOURCE.name} gives (run make_icons.py):", file=sys.stderr)
            for problem in problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"{len(files)} icon files match {SOURCE.name}")
        return 0
    for path, data in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    MANIFEST.write_text(inputs_digest())
    print(f"wrote {len(HICOLOR)} PNG sizes, pwtray.ico ({len(ICO)} sizes), "
          f"pwtray.icns ({len(ICNS)} sizes)")  # fmt: skip
    del app
    return 0


if __name__ == "__main__":
    sys.exit(main())
