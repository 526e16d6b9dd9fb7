from __future__ import annotations

import pytest

from accounts.models import User

pytestmark = pytest.mark.django_db


def test_choosing_a_language_is_remembered_on_the_account(as_user, insured):
    client = as_user(insured)
    response = client.post("/i18n/setlang/", {"language": "de", "next": "/insured/"})
    assert response.status_code == 302
    assert User.objects.get(pk=insured.pk).language == "de"
    assert client.cookies["django_language"].value == "de"


def test_an_unknown_language_changes_nothing(as_user, insured):
    client = as_user(insured)
    client.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=insured.pk).language == "fr"


def test_french_is_the_default(client):
    response = client.get("/")
    assert '<html lang="fr">' in response.content.decode()
