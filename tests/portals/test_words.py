"""No French left on a German, Italian or English page: what support types (plan names, document
titles, contact names and hours) has per-language fields, country codes become names, each
language is named in its own words, and the admin speaks French throughout."""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import SupportContact
from policies.models import Document

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_language(client):
    def _set(language: str):
        client.cookies["django_language"] = language
        return client
    return _set


@pytest.fixture
def certificate_document(insured_person):
    return Document.objects.create(
        category="certificate", title="Certificat de prévoyance 2026", year=2026,
        certificate=insured_person.certificates.get(), insured_person=insured_person,
        published=True, published_at=timezone.now())


def test_plan_name_and_certificate_title_in_german(as_user, insured, insured_person,
                                                   certificate_document, in_language):
    plan = insured_person.contract.plan
    plan.name, plan.name_de = "Plan LPP minimum", "BVG-Minimalplan"
    plan.save()
    as_user(insured)
    home = in_language("de").get("/insured/").content.decode()
    assert "BVG-Minimalplan" in home and "Plan LPP minimum" not in home
    documents = in_language("de").get("/insured/documents/").content.decode()
    assert "Vorsorgeausweis 2026" in documents
    assert "Certificat de prévoyance 2026" not in documents
    assert "Plan LPP minimum" in in_language("fr").get("/insured/").content.decode()


def test_a_title_typed_by_support_in_italian_is_shown_in_italian(as_user, insured,
                                                                 insured_person, in_language):
    Document.objects.create(
        category="letter", title="Lettre d'information", title_it="Lettera informativa",
        year=2026, insured_person=insured_person, published=True, published_at=timezone.now())
    as_user(insured)
    assert "Lettera informativa" in in_language("it").get("/insured/documents/").content.decode()
    # Without a translation the French title stays (nothing empty).
    assert "Lettre d&#x27;information" in in_language("en").get(
        "/insured/documents/").content.decode()


def test_the_certificate_file_has_the_year_once(as_user, insured, certificate_document,
                                                in_language):
    as_user(insured)
    url = f"/insured/documents/{certificate_document.pk}/"
    disposition = in_language("fr").get(url)["Content-Disposition"]
    assert 'filename="certificat-de-prevoyance-2026.pdf"' in disposition
    assert "vorsorgeausweis-2026.pdf" in in_language("de").get(url)["Content-Disposition"]


def test_the_help_page_contact_in_english(as_user, insured, in_language):
    SupportContact.objects.create(
        kind="insured", name="Centre clients", name_en="Customer centre", phone="+41 21 555 66 80",
        email="clients@example.ch", hours="Lu-ve 8h00-12h00", hours_en="Mon-Fri 8:00-12:00")
    as_user(insured)
    body = in_language("en").get("/insured/help/").content.decode()
    assert "Customer centre" in body and "Mon-Fri 8:00-12:00" in body
    assert "Centre clients" not in body and "Lu-ve" not in body


@pytest.mark.parametrize("language,country", [("fr", "Suisse"), ("de", "Schweiz"),
                                              ("it", "Svizzera"), ("en", "Switzerland")])
def test_the_address_names_the_country(as_user, insured, in_language, language, country):
    as_user(insured)
    body = in_language(language).get("/insured/personal/").content.decode()
    assert f"<br>{country}</p>" in body


def test_each_language_is_named_in_its_own_words(client):
    body = client.get("/").content.decode()
    for code, name in [("fr", "Français"), ("de", "Deutsch"), ("it", "Italiano"),
                       ("en", "English")]:
        assert f'lang="{code}"' in body and f">{name}</option>" in body
    assert "Anglais" not in body and "Allemand" not in body


def test_the_admin_access_request_speaks_french(client, superuser):
    from accounts.models import AccessRequest

    assert str(AccessRequest._meta.get_field("decided_by").verbose_name) == "décidée par"
    assert str(AccessRequest._meta.get_field("decided_at").verbose_name) == "décidée le"
