"""Every file leaves as a private attachment under a harmless name (portals/common/downloads.py)."""

from __future__ import annotations

import tempfile

import pytest
from django.http import FileResponse, StreamingHttpResponse

from portals.common.downloads import (
    attachment,
    attachment_file,
    attachment_stream,
    content_disposition,
    safe_filename,
)


def assert_private_attachment(response):
    assert response["Cache-Control"] == "no-store, private"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_file_in_memory_is_a_private_attachment():
    response = attachment(b"%PDF-1.4", "certificat-2026.pdf")
    assert_private_attachment(response)
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="certificat-2026.pdf"'


def test_a_stream_is_a_private_attachment_sent_while_produced():
    response = attachment_stream(iter([b"a;b\r\n", b"1;2\r\n"]), "personnel.csv")
    assert isinstance(response, StreamingHttpResponse)
    assert_private_attachment(response)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert b"".join(response.streaming_content) == b"a;b\r\n1;2\r\n"


@pytest.mark.django_db  # closing a response ends the request, which tidies DB connections
def test_an_open_file_is_a_private_attachment_and_is_closed_after_sending():
    handle = tempfile.TemporaryFile()
    handle.write(b"PK\x03\x04 spreadsheet")
    handle.seek(0)
    response = attachment_file(handle, "personnel.xlsx")
    assert isinstance(response, FileResponse)
    assert_private_attachment(response)
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response["Content-Length"] == str(len(b"PK\x03\x04 spreadsheet"))
    assert b"".join(response.streaming_content).startswith(b"PK")
    response.close()
    assert handle.closed


@pytest.mark.parametrize("given,expected", [
    ("certificat-2026.pdf", "certificat-2026.pdf"),
    ('rapport "final".pdf', "rapport -final.pdf"),
    ("../../etc/passwd", "etc-passwd"),
    ("C:\\Users\\x\\lettre.pdf", "C-Users-x-lettre.pdf"),
    ("a\r\nSet-Cookie: x=1.csv", "a-Set-Cookie- x=1.csv"),
    (".htaccess", "htaccess"),
    ("", "document"),
    ("x" * 300 + ".xlsx", "x" * 115 + ".xlsx"),
])
def test_a_filename_names_no_path_and_cannot_break_the_header(given, expected):
    assert safe_filename(given) == expected


def test_a_name_with_accents_gets_an_ascii_fallback_and_the_utf8_form():
    header = content_disposition("Prévoyance Zürich 2026.pdf")
    assert header == ("attachment; filename=\"Prevoyance Zurich 2026.pdf\"; "
                      "filename*=UTF-8''Pr%C3%A9voyance%20Z%C3%BCrich%202026.pdf")


def test_a_name_in_another_script_still_downloads_with_a_plain_fallback():
    header = content_disposition("証明書.pdf")
    assert header.startswith('attachment; filename="document.pdf"; ')
    assert "filename*=UTF-8''%E8%A8%BC%E6%98%8E%E6%9B%B8.pdf" in header
