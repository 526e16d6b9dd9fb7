"""The fund's name comes from settings (FUND_NAME), on the pages as on the PDFs."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_the_pages_show_the_configured_fund_name(client, settings):
    settings.FUND_NAME = "Fondation de prévoyance Essai"
    body = client.get("/").content.decode()
    assert "Fondation de prévoyance Essai" in body
    assert "Caisse de pension Alpina" not in body
