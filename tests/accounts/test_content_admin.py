"""Content kept by supervisors: terms of use versions (published ones never change, publishing
makes everybody accept again), support contacts and FAQ entries; other groups do not see them."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AdminAudit, FaqEntry, SupportContact, Terms, TermsAcceptance

pytestmark = pytest.mark.django_db

TERMS = "/admin/accounts/terms/"
DRAFT = "/admin/accounts/terms/new/"
LANGUAGES = ("fr", "de", "it", "en")


def draft_data(**override):
    data = {}
    for code in LANGUAGES:
        data[f"title_{code}"] = f"Conditions v2 ({code})"
        data[f"body_{code}"] = f"Texte de la version 2 ({code})."
    return {**data, **override}


def publish(client, version: int):
    rows = Terms.objects.filter(version=version).values_list("pk", flat=True)
    return client.post(TERMS, {"action": "publish_version", "_selected_action": list(rows)})


@pytest.mark.parametrize("persona", ["agent", "account_manager"])
@pytest.mark.parametrize("url", [TERMS, DRAFT, "/admin/accounts/faqentry/",
                                 "/admin/accounts/faqentry/add/",
                                 "/admin/accounts/supportcontact/add/"])
def test_only_supervisors_reach_the_content(request, as_user, persona, url):
    user = request.getfixturevalue(persona)
    assert as_user(user).get(url).status_code == 403
    assert AdminAudit.objects.filter(action="refused", actor=user, path=url).exists()


def test_a_new_version_starts_from_the_current_text_in_four_languages(as_user, supervisor,
                                                                      terms):
    page = as_user(supervisor).get(DRAFT).content.decode()
    assert "Texte des conditions." in page  # the current (French) text, to be edited
    for code in LANGUAGES:
        assert f'name="body_{code}"' in page


def test_a_draft_needs_all_four_languages_and_is_not_yet_in_force(as_user, supervisor, terms,
                                                                 insured):
    client = as_user(supervisor)
    response = client.post(DRAFT, draft_data(body_it=""))
    assert response.status_code == 200 and not Terms.objects.filter(version=2).exists()
    response = client.post(DRAFT, draft_data())
    assert response.status_code == 302
    assert set(Terms.objects.filter(version=2, published_at=None)
               .values_list("language", flat=True)) == set(LANGUAGES)
    assert AdminAudit.objects.get(name="terms_draft").detail == {"version": 2}
    assert as_user(insured).get("/insured/").status_code == 200  # still version 1 in force


def test_publishing_makes_everybody_accept_again_at_the_next_page(as_user, client, supervisor,
                                                                 terms, insured):
    portal = as_user(insured)
    assert portal.get("/insured/").status_code == 200
    admin = as_user(supervisor)
    admin.post(DRAFT, draft_data())
    response = publish(admin, 2)
    assert response.status_code == 302
    assert Terms.objects.filter(version=2, published_at__isnull=False).count() == 4
    assert AdminAudit.objects.get(name="terms_publish").actor == supervisor

    client.logout()
    portal = as_user(insured)  # the persona logging in afterwards
    response = portal.get("/insured/")
    assert response.status_code == 302 and response["Location"].startswith("/terms/")
    page = portal.get(response["Location"]).content.decode()
    assert "Texte de la version 2 (fr)." in page
    portal.post(response["Location"], {"accept": "yes"})
    assert TermsAcceptance.objects.filter(user=insured, version=2).exists()
    assert portal.get("/insured/").status_code == 200


def test_a_published_version_can_be_neither_changed_nor_deleted(as_user, supervisor, terms):
    client = as_user(supervisor)
    change = reverse("admin:accounts_terms_change", args=[terms.pk])
    response = client.post(change, {"title": "Autre", "body": "Autre texte"})
    assert response.status_code == 403
    assert client.post(reverse("admin:accounts_terms_delete", args=[terms.pk]),
                       {"post": "yes"}).status_code == 403
    terms.refresh_from_db()
    assert terms.title == "Conditions d'utilisation"
    assert publish(client, 1).status_code == 302  # publishing it again changes nothing
    assert Terms.objects.get(pk=terms.pk).published_at == terms.published_at


def test_a_draft_is_corrected_and_a_version_missing_a_language_is_not_published(
        as_user, supervisor, terms):
    client = as_user(supervisor)
    client.post(DRAFT, draft_data())
    german = Terms.objects.get(version=2, language="de")
    response = client.post(reverse("admin:accounts_terms_change", args=[german.pk]),
                           {"title": "Nutzungsbedingungen", "body": "Neuer Text."})
    assert response.status_code == 302
    german.refresh_from_db()
    assert german.body == "Neuer Text."
    assert AdminAudit.objects.filter(action="change", target_type="accounts.terms").exists()
    Terms.objects.filter(version=2, language="en").delete()
    response = publish(client, 2)
    assert not Terms.objects.filter(version=2, published_at__isnull=False).exists()
    assert "pas de titre ou de texte en : en" in client.get(TERMS).content.decode()


def test_a_supervisor_keeps_the_support_contacts(as_user, supervisor, hr_admin):
    client = as_user(supervisor)
    data = {"kind": "employer", "name": "Centre entreprises", "phone": "021 555 66 81",
            "email": "entreprises@alpina.example", "hours": "Lu-ve 8h-17h",
            "name_de": "Firmenkundencenter", "hours_de": "Mo-Fr 8-17 Uhr"}
    response = client.post("/admin/accounts/supportcontact/add/", {**data, "phone": "12"})
    assert response.status_code == 200 and not SupportContact.objects.exists()
    assert client.post("/admin/accounts/supportcontact/add/", data).status_code == 302
    contact = SupportContact.objects.get()
    assert contact.phone == "+41 21 555 66 81"
    assert AdminAudit.objects.filter(action="add",
                                     target_type="accounts.supportcontact").exists()
    help_page = as_user(hr_admin)
    assert "+41 21 555 66 81" in help_page.get("/employer/help/").content.decode()
    help_page.cookies["django_language"] = "de"
    body = help_page.get("/employer/help/").content.decode()
    assert "Firmenkundencenter" in body and "Mo-Fr 8-17 Uhr" in body


def test_a_supervisor_writes_a_faq_entry_and_the_change_is_audited(as_user, supervisor):
    client = as_user(supervisor)
    response = client.post("/admin/accounts/faqentry/add/", {
        "portal": "broker", "order": "5", "published": "on",
        "question": "Où sont mes commissions ?", "answer": "Sous « Commissions ».",
        "question_de": "", "answer_de": "", "question_it": "", "answer_it": "",
        "question_en": "", "answer_en": "",
    })
    assert response.status_code == 302
    entry = FaqEntry.objects.get(question="Où sont mes commissions ?")
    row = AdminAudit.objects.get(action="add", target_type="accounts.faqentry")
    assert row.actor == supervisor and row.target_id == str(entry.pk)
    client.post("/admin/accounts/faqentry/", {"action": "unpublish_entries",
                                              "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert not entry.published
    assert AdminAudit.objects.filter(action="action", name="unpublish_entries").exists()


def test_terms_acceptances_are_read_only_even_for_a_superuser(as_user, superuser, insured):
    acceptance = TermsAcceptance.objects.get(user=insured)
    client = as_user(superuser)
    url = reverse("admin:accounts_termsacceptance_change", args=[acceptance.pk])
    assert client.post(url, {"version": 9}).status_code == 403
    assert client.get("/admin/accounts/termsacceptance/add/").status_code == 403
