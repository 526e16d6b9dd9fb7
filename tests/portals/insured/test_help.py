"""Help: the support contact edited in admin and the insured persons' FAQ."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import SupportContact

pytestmark = pytest.mark.django_db


def test_help_shows_the_insured_support_contact_and_faq(as_user, insured):
    SupportContact.objects.create(kind="insured", name="Centre clients LPP",
                                  phone="+41 21 555 66 80", email="lpp@alpina.example",
                                  hours="Lu-ve 8h-17h")
    SupportContact.objects.create(kind="broker", name="Centre courtiers",
                                  phone="+41 21 555 66 96", email="courtiers@alpina.example")
    body = as_user(insured).get(reverse("insured:help")).content.decode()
    assert "Centre clients LPP" in body and "+41 21 555 66 80" in body
    assert "Centre courtiers" not in body
    assert "Je ne reçois pas le code SMS." in body
    assert "cache" not in body.lower()  # server-rendered pages: no "clear the cache" advice


def test_help_without_contact_still_answers(as_user, insured):
    assert "certificat de prévoyance" in as_user(insured).get(
        reverse("insured:help")).content.decode()
