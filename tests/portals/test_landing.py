"""The landing page speaks to where the visitor stands: logged in, it leads to the portal."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def test_a_visitor_is_offered_login_registration_and_access_requests(client):
    page = client.get("/").content.decode()
    assert "Se connecter" in page and 'href="/register/"' in page
    assert "Demander un accès" in page
    assert "Aller à mon portail" not in page


def test_a_logged_in_person_is_led_to_the_portal_not_to_the_login(as_user, insured):
    page = as_user(insured).get("/").content.decode()
    assert 'href="/portal/"' in page and "Aller à mon portail" in page
    assert "Se connecter" not in page
    assert 'href="/register/"' not in page and "Demander un accès" not in page


def test_the_login_page_sends_a_logged_in_person_on(as_user, insured):
    client = as_user(insured)
    response = client.get("/account/login/")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/account/login/?next=/profile/")["Location"] == "/profile/"
    assert client.get("/account/login/?next=//evil.example/")["Location"] == "/portal/"


def test_the_login_page_still_asks_a_half_logged_in_person_for_the_code(client, insured):
    client.force_login(insured, backend="accounts.backends.EmailOrAhvBackend")
    assert client.get("/account/login/").status_code == 200


def test_the_faq_describes_the_two_proofs_of_a_forgotten_password(client):
    page = client.get("/").content.decode()
    assert "un code par e-mail, puis un code par SMS" in page
    assert "jamais réinitialiser un mot de passe par téléphone" in page
