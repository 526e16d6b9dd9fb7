"""An address change needs the password again, like a bank-account change: with a stolen
session an attacker must not redirect the pension fund's letters to an address of his choice."""

from __future__ import annotations

import time
from datetime import date
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from accounts.reauth import MAX_AGE_SECONDS, SESSION_KEY
from policies.models import ChangeRequest
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
URL = "/insured/personal/address/"
NEW_ADDRESS = {"street": "Chemin du Pirate 1", "postcode": "1200", "city": "Genève",
               "country": "CH", "effective_date": date.today().strftime("%d.%m.%Y")}


def test_the_address_url_is_the_change_form():
    assert reverse("insured:change-address") == URL


def test_an_address_change_without_recent_reauthentication_goes_to_the_reauth_page(
        as_user, insured, insured_person):
    client = as_user(insured)
    response = client.post(URL, NEW_ADDRESS)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('reauth')}?{urlencode({'next': URL})}"
    assert not ChangeRequest.objects.exists()
    insured_person.refresh_from_db()
    assert insured_person.street != "Chemin du Pirate 1"
    assert client.get(URL)["Location"].startswith(reverse("reauth"))


def test_an_old_reauthentication_is_not_enough(as_user, insured):
    client = as_user(insured)
    session = client.session
    session[SESSION_KEY] = time.time() - MAX_AGE_SECONDS - 60
    session.save()
    response = client.post(URL, NEW_ADDRESS)
    assert response["Location"].startswith(reverse("reauth"))
    assert not ChangeRequest.objects.exists()


def test_after_the_password_again_the_address_change_is_received(as_user, insured):
    client = as_user(insured)
    back = client.post(reverse("reauth"), {"password": PASSWORD, "next": URL})
    assert back["Location"] == URL
    assert client.get(URL).status_code == 200
    response = client.post(URL, NEW_ADDRESS)
    change = ChangeRequest.objects.get()
    assert response["Location"] == reverse("insured:change-detail", args=[change.pk])
    assert change.kind == "address" and change.data["street"] == "Chemin du Pirate 1"


def test_a_wrong_password_does_not_open_the_address_form(as_user, insured):
    client = as_user(insured)
    page = client.post(reverse("reauth"), {"password": "wrong", "next": URL})
    assert page.status_code == 200
    assert client.post(URL, NEW_ADDRESS)["Location"].startswith(reverse("reauth"))
    assert not ChangeRequest.objects.exists()
