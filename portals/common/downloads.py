"""Every file the portals hand out (PDF, CSV, XLSX, JSON) leaves through one of these three
responses: as an attachment, never stored by a browser or a proxy (personal data), under a
filename that cannot break the header or name a path.

    attachment(pdf_bytes, "certificat-2026.pdf")
    attachment_stream(chunks, "personnel.csv")       # rows produced while sending
    attachment_file(temporary_file, "personnel.xlsx")  # closed after sending
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
from collections.abc import Iterable
from typing import BinaryIO
from urllib.parse import quote

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
MAX_NAME = 120
_UNSAFE = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|;]+')


def safe_filename(name: str, *, default: str = "document") -> str:
    """The name a user sees in their downloads: no path, no quotes or control characters, no
    leading dot (a hidden file), at most 120 characters with the extension kept."""
    name = unicodedata.normalize("NFC", str(name or ""))
    name = _UNSAFE.sub("-", name)
    name = " ".join(name.split()).strip(" .-")
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        stem, extension = name, ""
    extension = extension[:10]
    stem = stem[: MAX_NAME - len(extension) - 1].rstrip(" .-") or default
    return f"{stem}.{extension}" if extension else stem


def _ascii(name: str) -> str:
    """Prévoyance.pdf -> Prevoyance.pdf; a name with no Latin letter at all -> document.pdf."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    stem, dot, extension = folded.rpartition(".")
    if not dot:
        stem, extension = folded, ""
    stem = stem.strip(" .-") or "document"
    return f"{stem}.{extension}" if extension else stem


def content_disposition(filename: str) -> str:
    """attachment; filename="..." in plain ASCII, plus filename*=UTF-8''... (RFC 6266) when the
    name has other letters (Prévoyance.pdf), which browsers then prefer."""
    name = safe_filename(filename)
    fallback = _ascii(name)
    header = f'attachment; filename="{fallback}"'
    if fallback != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


def _content_type(filename: str, content_type: str | None) -> str:
    if content_type:
        return content_type
    extension = filename.rpartition(".")[2].lower()
    return CONTENT_TYPES.get(extension) or mimetypes.guess_type(filename)[0] or (
        "application/octet-stream")


def _private(response: HttpResponseBase, filename: str) -> HttpResponseBase:
    response["Content-Disposition"] = content_disposition(filename)
    response["Cache-Control"] = "no-store, private"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def attachment(content: bytes, filename: str, content_type: str | None = None) -> HttpResponse:
    """A file built in memory (a PDF of a few pages, a JSON export)."""
    response = HttpResponse(content, content_type=_content_type(filename, content_type))
    return _private(response, filename)


def attachment_stream(chunks: Iterable[bytes], filename: str,
                      content_type: str | None = None) -> StreamingHttpResponse:
    """A file produced while it is sent (a CSV of 20,000 rows): memory stays flat."""
    response = StreamingHttpResponse(chunks, content_type=_content_type(filename, content_type))
    return _private(response, filename)


def attachment_file(handle: BinaryIO, filename: str,
                    content_type: str | None = None) -> FileResponse:
    """An open file (a document from private storage, a temporary XLSX), sent in blocks and
    closed afterwards."""
    response = FileResponse(handle, content_type=_content_type(filename, content_type))
    return _private(response, filename)
