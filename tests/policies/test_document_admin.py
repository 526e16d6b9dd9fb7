"""One document uploaded in the admin: who may, what is refused (a renamed file, a broken or
oversized PDF), and that a published document no longer changes."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import AdminAudit, OutboxMessage
from policies.models import Document
from tests import documents as d

pytestmark = pytest.mark.django_db

ADD = "/admin/policies/document/add/"


def form_data(person, upload, **extra):
    return {"category": "letter", "title": "Courrier du 3 mars", "year": "2026",
            "insured_person": person.pk, "file": upload, **extra}


def test_an_account_manager_uploads_one_pdf_unpublished_under_a_name_of_our_own(
        as_user, account_manager, insured_person):
    response = as_user(account_manager).post(
        ADD, form_data(insured_person, d.upload(f"{insured_person.ahv_number}.pdf", d.pdf())))
    assert response.status_code == 302
    document = Document.objects.get()
    assert document.insured_person == insured_person and not document.published
    assert insured_person.ahv_number not in document.file.name
    assert document.file.read().startswith(b"%PDF-")
    row = AdminAudit.objects.get(action="add", target_type="policies.document")
    assert row.actor == account_manager


def test_an_agent_sees_documents_but_uploads_and_publishes_nothing(as_user, agent,
                                                                  insured_person):
    draft = Document.objects.create(category="letter", title="Courrier", year=2026,
                                    insured_person=insured_person)
    client = as_user(agent)
    assert client.get("/admin/policies/document/").status_code == 200
    assert client.get(ADD).status_code == 403
    response = client.post(ADD, form_data(insured_person, d.upload("x.pdf", d.pdf())))
    assert response.status_code == 403
    changelist = client.get("/admin/policies/document/").content.decode()
    assert 'value="publish"' not in changelist
    client.post("/admin/policies/document/", {"action": "publish",
                                              "_selected_action": [draft.pk]})
    draft.refresh_from_db()
    assert not draft.published and Document.objects.count() == 1
    assert AdminAudit.objects.filter(action="refused", actor=agent).count() == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"MZ\x90\x00 not a pdf at all", "n&#x27;est pas un PDF"),
    (d.truncated_pdf(), "il ne s&#x27;ouvre pas"),
])
def test_a_file_that_is_no_readable_pdf_is_refused_whatever_its_name(
        as_user, account_manager, insured_person, data, message):
    response = as_user(account_manager).post(
        ADD, form_data(insured_person, d.upload("certificat.pdf", data)))
    assert response.status_code == 200 and message in response.content.decode()
    assert not Document.objects.exists()


def test_an_oversized_pdf_is_refused(as_user, account_manager, insured_person, settings):
    settings.DOCUMENT_FILE_MAX_BYTES = 10_000
    response = as_user(account_manager).post(
        ADD, form_data(insured_person, d.upload("gros.pdf", d.pdf() + b"%" * 20_000)))
    assert "Plus de 9 Ko" in response.content.decode()
    assert not Document.objects.exists()


def test_a_published_document_can_no_longer_be_changed_or_deleted(as_user, account_manager,
                                                                 insured, insured_person):
    document = Document.objects.create(category="letter", title="Courrier", year=2026,
                                       insured_person=insured_person)
    client = as_user(account_manager)
    client.post("/admin/policies/document/", {"action": "publish",
                                              "_selected_action": [document.pk]})
    document.refresh_from_db()
    assert document.published
    url = reverse("admin:policies_document_change", args=[document.pk])
    response = client.post(url, {"category": "letter", "title": "Autre titre", "year": 2026,
                                 "insured_person": insured_person.pk})
    assert response.status_code == 403
    assert client.post(reverse("admin:policies_document_delete", args=[document.pk]),
                       {"post": "yes"}).status_code == 403
    document.refresh_from_db()
    assert document.title == "Courrier"
    assert OutboxMessage.objects.filter(user=insured, channel="email").count() == 1
