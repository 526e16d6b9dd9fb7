"""Espace personnel: the profile pages, and deleting the account explained, not offered: the
account manager of the agency record is named with phone and e-mail."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_page_explains_deletion_and_names_the_account_manager(as_user, broker):
    response = as_user(broker).get(reverse("broker:account"))
    page = response.content.decode()
    assert "Supprimer mon compte" in page
    assert "ne peut pas se faire ici" in page
    assert "Contactez Yves Morel" in page and "y.morel@example.ch" in page
    assert "+41 21 555 66 97" in page
    assert "jamais réinitialisé par téléphone" in page
    assert 'href="/profile/"' in page and 'href="/profile/password/"' in page
    assert "broker@example.ch" in page and "Courtage Test Sàrl" in page
    assert 'method="post"' not in page.split("Supprimer mon compte")[1].split("</section>")[0]


def test_without_an_account_manager_it_names_the_broker_centre(as_user, broker, agency):
    agency.account_manager = ""
    agency.save()
    page = as_user(broker).get(reverse("broker:account")).content.decode()
    assert "Contactez le centre courtiers." in page


def test_the_agency_admin_sees_their_role(as_user, agency_admin):
    page = as_user(agency_admin).get(reverse("broker:account")).content.decode()
    assert "Administrateur·trice d&#x27;agence" in page
