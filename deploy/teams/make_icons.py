"""Draws the Teams app's two icons (no downloads, no imaging library): color.png, 192×192, a white "K" on
KKR blue; outline.png, 32×32, the same "K" in white on transparent, as Teams requires.

    python deploy/teams/make_icons.py     # writes both PNGs beside this file
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

BLUE = (0, 83, 155, 255)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)


def in_k(x: float, y: float) -> bool:
    """A "K" in the unit square: a stem and two arms."""
    if not (0.2 <= y <= 0.8):
        return False
    stem = 0.28 <= x <= 0.4
    # The arms run from the stem's middle to the corners, about 0.12 wide.
    upper = abs((x - 0.4) - (0.5 - y) * 0.9) < 0.08 and y <= 0.52 and x >= 0.36
    lower = abs((x - 0.4) - (y - 0.5) * 0.9) < 0.08 and y >= 0.48 and x >= 0.36
    return stem or upper or lower


def png(size: int, background: tuple[int, int, int, int]) -> bytes:
    raw = bytearray()
    for row in range(size):
        raw.append(0)  # no filter
        for column in range(size):
            colour = WHITE if in_k((column + 0.5) / size, (row + 0.5) / size) else background
            raw.extend(colour)

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)  # 8-bit RGBA
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
        + chunk(b"IEND", b"")
    )


if __name__ == "__main__":
    here = Path(__file__).parent
    (here / "color.png").write_bytes(png(192, BLUE))
    (here / "outline.png").write_bytes(png(32, CLEAR))
