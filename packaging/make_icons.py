"""Render the application icon from its SVG master into every raster form the installers use.

Owns the generated files beside the master ``icons/mlops-workbench.svg``:

- ``icons/mlops-workbench-{16,32,48,64,128,256,512,1024}.png`` — briefcase's ``icon =
  "icons/mlops-workbench"`` takes the path without extension and picks ``-{size}.png`` for the
  Linux (system, AppImage, Flatpak) templates; the desktop entry and AppStream data use them too.
- ``icons/mlops-workbench.ico`` — Windows: one PNG-compressed entry per size, 16…256.
- ``icons/mlops-workbench.icns`` — macOS: PNG chunks, 16…1024 (incl. the @2x "retina" types).

Rules: the SVG is the only hand-edited file; the outputs are committed (they are source assets
of the app, not build outputs) and are regenerated with this script, never edited. The same
SVG and the same PySide6 give the same bytes (no timestamps, fixed entry order). Rendering uses
Qt's SVG renderer offscreen, so no display is needed.

    .venv/bin/python packaging/make_icons.py            # rewrite the files in icons/
    .venv/bin/python packaging/make_icons.py --out DIR  # write them somewhere else
    .venv/bin/python packaging/make_icons.py --check    # exit 1 if icons/ is out of date
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "icons"
NAME = "mlops-workbench"
MASTER = ICONS / f"{NAME}.svg"

PNG_SIZES = (16, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# macOS icon chunk types that hold a PNG, and the pixel size each one must have
# (Apple's "icns" format: ic11..ic14 are the @2x variants of 16, 32, 128 and 256 points).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),
    (b"icp6", 64),
    (b"ic12", 64),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),
    (b"ic09", 512),
    (b"ic14", 512),
    (b"ic10", 1024),
)
# QImage.save quality for PNG: 0 asks libpng for its strongest compression (still lossless).
PNG_QUALITY = 0


def render_pngs(svg: Path, sizes: Iterable[int]) -> dict[int, bytes]:
    """The SVG rendered at each size (square, transparent background), as PNG bytes."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QRectF, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    _app = QGuiApplication.instance() or QGuiApplication([sys.argv[0]])  # noqa: F841 (keep alive)
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG file; fix it and rerun {Path(__file__).name}")
    pngs: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.convertToFormat(QImage.Format.Format_ARGB32).save(buffer, "PNG", PNG_QUALITY):
            raise SystemExit(f"Qt could not encode the {size} px icon as PNG")
        buffer.close()
        pngs[size] = bytes(data.data())
    return pngs


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if png[:8] != b"\x89PNG\r\n\x1a\n" or png[12:16] != b"IHDR":
        raise ValueError("not a PNG file")
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def build_ico(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico whose entries are whole PNG files (supported since Windows Vista).

    Layout: ICONDIR (reserved=0, type=1, count) then one 16-byte ICONDIRENTRY per image
    (width, height — 0 meaning 256 —, colours=0, reserved=0, planes=1, bits=32, byte size,
    offset), then the images in the same order.
    """
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, blobs = [], []
    for size in sizes:
        blob = pngs[size]
        dim = 0 if size >= 256 else size
        entries.append(struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset))
        blobs.append(blob)
        offset += len(blob)
    return header + b"".join(entries) + b"".join(blobs)


def read_ico(data: bytes) -> list[tuple[int, bytes]]:
    """(declared size, image bytes) of each entry of an .ico file."""
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    if reserved != 0 or kind != 1:
        raise ValueError("not an .ico file")
    out = []
    for i in range(count):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * i: 22 + 16 * i])
        out.append((width or 256, data[offset: offset + length]))
    return out


def build_icns(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: the magic ``icns`` and the total length (big-endian), then chunks of
    4-byte type, 4-byte length (header included) and the PNG data."""
    chunks = b"".join(
        kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES
    )
    return b"icns" + struct.pack(">I", 8 + len(chunks)) + chunks


def read_icns(data: bytes) -> list[tuple[bytes, bytes]]:
    """(chunk type, chunk data) of each chunk of an .icns file."""
    if data[:4] != b"icns" or struct.unpack(">I", data[4:8])[0] != len(data):
        raise ValueError("not an .icns file (bad magic or length)")
    out, pos = [], 8
    while pos < len(data):
        kind, length = data[pos: pos + 4], struct.unpack(">I", data[pos + 4: pos + 8])[0]
        out.append((kind, data[pos + 8: pos + length]))
        pos += length
    return out


def generate(svg: Path = MASTER) -> dict[str, bytes]:
    """Every generated file name (relative to icons/) with its bytes."""
    pngs = render_pngs(svg, sorted(set(PNG_SIZES) | set(ICO_SIZES)))
    files = {f"{NAME}-{size}.png": pngs[size] for size in PNG_SIZES}
    files[f"{NAME}.ico"] = build_ico({size: pngs[size] for size in ICO_SIZES})
    files[f"{NAME}.icns"] = build_icns(pngs)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ICONS, help="directory to write (icons/)")
    parser.add_argument("--check", action="store_true",
                        help="write nothing; exit 1 if a file in --out differs")
    args = parser.parse_args(argv)
    files = generate()
    if args.check:
        stale = [name for name, data in files.items()
                 if not (args.out / name).is_file() or (args.out / name).read_bytes() != data]
        for name in stale:
            print(f"{args.out / name}: out of date; run packaging/make_icons.py", file=sys.stderr)
        return 1 if stale else 0
    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"{args.out / name}  {len(data):>7} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
