"""The text a reportlab PDF shows, without a PDF library (pypdf is not a dependency): inflate
each content stream and read the strings of its text operators. Enough for our own documents,
which use the built-in fonts (WinAnsi encoding)."""

from __future__ import annotations

import base64
import re
import zlib

_STREAM = re.compile(rb"<<(?P<dict>.*?)>>\s*stream\r?\n(?P<data>.*?)endstream", re.S)
_SHOWN = re.compile(rb"\((?P<text>(?:\\.|[^\\)])*)\)\s*Tj|\[(?P<array>[^\]]*)\]\s*TJ", re.S)
_PART = re.compile(rb"\(((?:\\.|[^\\)])*)\)", re.S)
_ESCAPE = re.compile(rb"\\([0-7]{1,3}|.)", re.S)
_SIMPLE = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _unescape(raw: bytes) -> str:
    def one(match: re.Match) -> bytes:
        code = match.group(1)
        if code[:1].isdigit():
            return bytes([int(code, 8) & 0xFF])
        return _SIMPLE.get(code, code)

    return _ESCAPE.sub(one, raw).decode("cp1252", errors="replace")


def _inflate(header: bytes, data: bytes) -> bytes:
    if b"ASCII85Decode" in header:
        data = base64.a85decode(re.sub(rb"\s", b"", data).removesuffix(b"~>"))
    if b"FlateDecode" in header:
        data = zlib.decompress(data)
    return data


def pdf_pages_text(pdf: bytes) -> list[str]:
    """One string per content stream (reportlab writes one per page), lines joined by \\n."""
    pages = []
    for match in _STREAM.finditer(pdf):
        try:
            content = _inflate(match.group("dict"), match.group("data").rstrip(b"\r\n"))
        except (ValueError, zlib.error):
            continue  # an image or a font program, not page text
        lines = []
        for shown in _SHOWN.finditer(content):
            if shown.group("text") is not None:
                lines.append(_unescape(shown.group("text")))
            else:
                lines.append("".join(_unescape(p) for p in _PART.findall(shown.group("array"))))
        if lines:
            pages.append("\n".join(lines))
    return pages


_PLACED = re.compile(
    rb"/F\d+ (?P<size>[\d.]+) Tf|1 0 0 1 (?P<x>[-\d.]+) (?P<y>[-\d.]+) Tm \((?P<text>(?:\\.|[^\\)])*)\) Tj",
    re.S,
)


def pdf_placed_text(pdf: bytes) -> list[list[tuple[float, float, float, str]]]:
    """Per content stream, each string drawn with reportlab's drawString: (x, y, font size,
    text), in points from the page's bottom-left corner."""
    pages = []
    for match in _STREAM.finditer(pdf):
        try:
            content = _inflate(match.group("dict"), match.group("data").rstrip(b"\r\n"))
        except (ValueError, zlib.error):
            continue
        size = 0.0
        placed = []
        for op in _PLACED.finditer(content):
            if op.group("size") is not None:
                size = float(op.group("size"))
            else:
                placed.append((float(op.group("x")), float(op.group("y")), size,
                               _unescape(op.group("text"))))
        if placed:
            pages.append(placed)
    return pages
