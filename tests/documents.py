"""Files for the document-import tests: real PDFs (each different), a renamed text file, a
truncated PDF, ZIP archives (a zip bomb among them) and uploads as the admin receives them."""

from __future__ import annotations

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfWriter


def pdf(label: str = "document") -> bytes:
    """A one-page PDF; its metadata makes each label's bytes different."""
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_metadata({"/Title": label})
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def truncated_pdf() -> bytes:
    """Starts like a PDF (magic bytes) but does not open in a PDF parser."""
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\n" + b"garbage " * 50


def archive(files: dict[str, bytes], *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as handle:
        for name, data in files.items():
            handle.writestr(name, data)
    return buffer.getvalue()


def zip_bomb(megabytes: int = 50) -> bytes:
    """One entry of zeros: 50 MB compress to about 50 KB (ratio ~1000)."""
    return archive({"756.3047.5009.62_certificat.pdf": b"\x00" * (megabytes * 1024 * 1024)})


def upload(name: str, data: bytes, content_type: str = "application/pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)
