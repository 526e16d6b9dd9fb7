"""My data (nFADP art. 25/28): JSON and PDF export, rate-limited in the database, audited."""

from __future__ import annotations

import json
from datetime import timedelta
from unittest.mock import patch

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent

pytestmark = pytest.mark.django_db


def test_json_export_holds_everything_about_me_and_nobody_else(
        as_user, insured, insured_person, other_insured, certificate_document, simulation,
        change_request):
    response = _fresh(as_user, insured).post(reverse("insured:my-data"), {"format": "json"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["person"]["ahv_number"] == insured_person.ahv_number
    assert data["certificates"][0]["savings_capital"] == "187650.35"
    assert data["documents"][0]["title"] == "Certificat de prévoyance 2026"
    assert data["simulations"][0]["kind"] == "retirement"
    assert data["change_requests"][0]["case_number"] == change_request.case_number
    assert "Otto" not in response.content.decode()
    event = SecurityEvent.objects.get(user=insured, kind="data_export")
    assert event.detail == {"format": "json"}


def test_pdf_export_is_readable(as_user, insured):
    response = _fresh(as_user, insured).post(reverse("insured:my-data"), {"format": "pdf"})
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


def test_fourth_export_within_an_hour_is_refused_and_counted_in_the_database(as_user, insured):
    client = _fresh(as_user, insured)
    for _ in range(3):
        assert client.post(reverse("insured:my-data"), {"format": "json"}).status_code == 200
    refused = client.post(reverse("insured:my-data"), {"format": "pdf"})
    assert refused.status_code == 429
    assert "Réessayez plus tard" in refused.content.decode()
    assert SecurityEvent.objects.filter(user=insured, kind="data_export").count() == 3
    later = timezone.now() + timedelta(hours=1, minutes=1)  # audit rows are never rewritten
    with patch("django.utils.timezone.now", return_value=later):
        assert client.post(reverse("insured:my-data"), {"format": "json"}).status_code == 200


def test_the_page_itself_exports_nothing(as_user, insured):
    assert _fresh(as_user, insured).get(reverse("insured:my-data")).status_code == 200
    assert not SecurityEvent.objects.filter(kind="data_export").exists()


def _fresh(as_user, user):
    """Logged in and the password given again a moment ago (the export needs it)."""
    from tests.portals.insured.conftest import reauthenticate

    client = as_user(user)
    reauthenticate(client)
    return client


def test_the_export_asks_for_the_password_again(as_user, insured):
    response = as_user(insured).post(reverse("insured:my-data"), {"format": "json"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauth"))
