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


@pytest.mark.parametrize("url", ["/", "/account/login/", "/healthz"])
def test_every_response_denies_browser_features_no_page_needs(client, url):
    policy = client.get(url)["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_the_code_base_has_no_high_severity_finding_of_bandit():
    """bandit over our own packages (not .venv, not tests): no finding of high severity."""
    import json
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", "-f", "json", "--severity-level", "high",
         "accounts", "policies", "portals", "simulations", "bench"],
        cwd=root, capture_output=True, text=True, timeout=300, check=False,
    )
    report = json.loads(result.stdout)
    assert report["metrics"]["_totals"]["loc"] > 10000  # it did read the code base
    high = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
            for r in report["results"] if r["issue_severity"] == "HIGH"]
    assert high == []
