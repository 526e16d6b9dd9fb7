"""Every page carries the browser protections; templates contain nothing the CSP would block."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

pytestmark = pytest.mark.django_db


def test_public_page_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_personal_pages_are_never_cached(as_user, insured):
    response = as_user(insured).get("/insured/")
    assert "no-store" in response["Cache-Control"]


def test_templates_have_no_inline_script_or_style_the_csp_would_block():
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<script(?![^>]*\bsrc=)", text) or re.search(r"\sstyle=\"", text) \
                or "<style" in text:
            offenders.append(str(path.relative_to(TEMPLATES)))
    assert offenders == []
