"""Document batches in the admin: who may upload and confirm, the report page, nothing published
before the confirmation, the owners told in their language, refused uploads leave nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import AdminAudit, OutboxMessage
from policies import document_batches
from policies.models import Document, DocumentBatch
from tests import documents as d

pytestmark = pytest.mark.django_db

ADD = "/admin/policies/documentbatch/add/"


def stored_files(settings) -> list:
    root = settings.PRIVATE_MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def post_batch(client, files, **extra):
    data = {"category": "certificate", "year": "2026", "title": "", "employer": "",
            "files": files, **extra}
    return client.post(ADD, data)


def name_for(person, suffix="certificat_2026") -> str:
    return f"{person.ahv_number}_{suffix}.pdf"


@pytest.fixture
def two_owners(insured, other_insured):
    other_insured.language = "de"
    other_insured.save()
    return insured, other_insured


def test_an_agent_may_neither_open_nor_post_the_upload(as_user, agent, insured):
    client = as_user(agent)
    assert client.get(ADD).status_code == 403
    response = post_batch(client, [d.upload(name_for(insured.insured_person), d.pdf())])
    assert response.status_code == 403
    assert not DocumentBatch.objects.exists() and not Document.objects.exists()
    assert AdminAudit.objects.filter(action="refused", actor=agent, path=ADD).count() == 2
    assert client.get("/admin/policies/documentbatch/").status_code == 403


@pytest.mark.parametrize("persona", ["account_manager", "supervisor"])
def test_account_managers_and_supervisors_upload(request, as_user, persona):
    client = as_user(request.getfixturevalue(persona))
    page = client.get(ADD)
    assert page.status_code == 200 and "Fichiers PDF ou archive ZIP" in page.content.decode()


def test_the_report_page_then_confirmation_publishes_and_tells_each_owner_in_their_language(
        as_user, account_manager, two_owners, django_capture_on_commit_callbacks):
    claire, otto = two_owners
    client = as_user(account_manager)
    response = post_batch(client, [
        d.upload(name_for(claire.insured_person), d.pdf("claire")),
        d.upload(name_for(otto.insured_person).replace(".", "", 3), d.pdf("otto")),
        d.upload("inconnu.pdf", d.pdf("x")),
        d.upload("photo.pdf", b"\xff\xd8\xff\xe0 JPEG"),
    ])
    batch = DocumentBatch.objects.get()
    assert response.status_code == 302 and response["Location"].endswith(f"/{batch.pk}/change/")
    page = client.get(response["Location"]).content.decode()
    assert "Confirmer et publier 2 document(s)" in page
    for text in ("inconnu.pdf", "photo.pdf", "Pas un PDF", "Sans personne",
                 "Favre Claire · 756.****.****"):
        assert text in page
    # The person column masks the AHV number (the file name shows what support typed).
    assert f"Favre Claire · {claire.insured_person.ahv_number}" not in page

    # Nothing is published before the confirmation, nobody is told.
    assert Document.objects.filter(batch=batch, published=False).count() == 2
    assert not OutboxMessage.objects.exists()
    documents = as_user(claire).get("/insured/documents/").content.decode()
    assert "Certificat de prévoyance 2026" not in documents

    client = as_user(account_manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("admin:policies_documentbatch_confirm", args=[batch.pk]))
    assert response.status_code == 302
    assert Document.objects.filter(batch=batch, published=True,
                                   published_at__isnull=False).count() == 2
    batch.refresh_from_db()
    assert batch.status == "confirmed" and batch.confirmed_by == account_manager
    emails = {m.user: m for m in OutboxMessage.objects.filter(channel="email")}
    assert set(emails) == {claire, otto}
    assert emails[claire].subject == "Un nouveau document vous attend"
    with translation.override("de"):
        assert emails[otto].subject == gettext("Un nouveau document vous attend")
    assert emails[otto].subject != emails[claire].subject
    for message in emails.values():
        for secret in ("Certificat", "Favre", "Autre", claire.insured_person.ahv_number):
            assert secret not in message.body
    row = AdminAudit.objects.get(name="document_batch_confirm")
    assert row.actor == account_manager and row.detail == {"documents": 2}
    assert AdminAudit.objects.filter(name="document_batch_upload").count() == 1

    # Confirming twice publishes and tells nothing more.
    client.post(reverse("admin:policies_documentbatch_confirm", args=[batch.pk]))
    assert OutboxMessage.objects.filter(channel="email").count() == 2


def test_an_agent_cannot_confirm_a_batch(as_user, account_manager, agent, insured):
    post_batch(as_user(account_manager),
               [d.upload(name_for(insured.insured_person), d.pdf())])
    batch = DocumentBatch.objects.get()
    response = as_user(agent).post(reverse("admin:policies_documentbatch_confirm",
                                           args=[batch.pk]))
    assert response.status_code == 403
    assert not Document.objects.filter(published=True).exists()
    assert AdminAudit.objects.filter(action="refused", actor=agent).exists()


def test_a_document_of_an_unconfirmed_batch_is_not_published_one_by_one(
        as_user, account_manager, insured):
    client = as_user(account_manager)
    post_batch(client, [d.upload(name_for(insured.insured_person), d.pdf())])
    document = Document.objects.get()
    client.post(reverse("admin:policies_document_changelist"),
                {"action": "publish", "_selected_action": [document.pk]})
    document.refresh_from_db()
    assert not document.published and not OutboxMessage.objects.exists()


def test_discarding_removes_the_documents_and_their_files(as_user, account_manager, insured,
                                                         settings,
                                                         django_capture_on_commit_callbacks):
    client = as_user(account_manager)
    post_batch(client, [d.upload(name_for(insured.insured_person), d.pdf())])
    batch = DocumentBatch.objects.get()
    assert len(stored_files(settings)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("admin:policies_documentbatch_discard", args=[batch.pk]))
    batch.refresh_from_db()
    assert batch.status == "discarded"
    assert not Document.objects.exists() and not stored_files(settings)
    assert AdminAudit.objects.filter(name="document_batch_discard").exists()


def test_an_upload_over_the_limit_is_refused_whole_and_leaves_nothing(as_user, account_manager,
                                                                      insured, settings):
    settings.ADMIN_UPLOAD_MAX_BYTES = 30_000
    client = as_user(account_manager)
    response = post_batch(client, [d.upload(name_for(insured.insured_person), d.pdf("a")),
                                   d.upload("big.zip", d.pdf("b") + b"%" * 40_000)])
    page = response.content.decode()
    assert response.status_code == 200
    assert "L&#x27;envoi dépasse 29 Ko : rien n&#x27;a été importé" in page
    assert not DocumentBatch.objects.exists() and not Document.objects.exists()
    assert not stored_files(settings)
    assert AdminAudit.objects.get(name="document_batch_refused").detail == {"reason": "too_big"}


def test_a_zip_bomb_is_refused_with_a_clear_message_and_leaves_nothing(
        as_user, account_manager, settings):
    response = post_batch(as_user(account_manager),
                          [d.upload("lot.zip", d.zip_bomb(), "application/zip")])
    assert "bombe ZIP possible" in response.content.decode()
    assert not DocumentBatch.objects.exists() and not stored_files(settings)
    assert AdminAudit.objects.get(name="document_batch_refused").detail == {"reason": "zip_bomb"}


def test_a_large_batch_runs_in_celery_and_the_page_shows_its_progress(
        as_user, account_manager, insured, monkeypatch, django_capture_on_commit_callbacks):
    monkeypatch.setattr(document_batches, "INLINE_FILES", 2)
    client = as_user(account_manager)
    files = [d.upload(name_for(insured.insured_person, f"letter_{year}"), d.pdf(str(year)))
             for year in (2021, 2022, 2023)]
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_batch(client, files, category="letter")
    batch = DocumentBatch.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' in page and "Vérification en cours : 0 fichier(s) sur 3" in page
    assert not Document.objects.exists()
    for callback in callbacks:  # the queued task (Celery runs eagerly in the tests)
        callback()
    page = client.get(response["Location"]).content.decode()
    assert 'http-equiv="refresh"' not in page and "Confirmer et publier 3 document(s)" in page
    batch.refresh_from_db()
    assert batch.status == "draft" and batch.matched_count == 3


def test_more_files_than_django_accepts_in_one_request_is_a_400_and_changes_nothing(
        as_user, account_manager, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 3
    response = post_batch(as_user(account_manager),
                          [d.upload(f"{i}.pdf", d.pdf(str(i))) for i in range(4)])
    assert response.status_code == 400
    assert not DocumentBatch.objects.exists() and not stored_files(settings)
