"""Documents: inbox by category and year, permission-checked PDF download, generated PDFs."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import TermsAcceptance
from tests import factories as f
from tests.portals.insured.conftest import make_document

pytestmark = pytest.mark.django_db


def test_inbox_lists_own_published_documents_with_unread_marks(as_user, insured, insured_person,
                                                               certificate_document,
                                                               other_document):
    make_document(insured_person, title="Lettre lue", category="letter", year=2024, read=True)
    make_document(insured_person, title="Brouillon", category="letter", published=False)
    response = as_user(insured).get(reverse("insured:documents"))
    body = response.content.decode()
    assert "Certificat de prévoyance 2026" in body
    assert "Lettre lue" in body
    assert "Brouillon" not in body
    assert "Certificat Otto" not in body
    assert body.count('class="unread"') == 1


def test_inbox_filters_by_category_and_year(as_user, insured, insured_person,
                                            certificate_document):
    make_document(insured_person, title="Lettre 2024", category="letter", year=2024)
    client = as_user(insured)
    body = client.get(reverse("insured:documents"), {"category": "letter"}).content.decode()
    assert "Lettre 2024" in body and "Certificat de prévoyance 2026" not in body
    body = client.get(reverse("insured:documents"), {"year": "2026"}).content.decode()
    assert "Lettre 2024" not in body and "Certificat de prévoyance 2026" in body
    # Garbage in the query string is ignored, not a 500.
    assert client.get(reverse("insured:documents"), {"year": "x", "category": "<b>"}
                      ).status_code == 200


def test_certificate_pdf_is_generated_marked_read_and_never_cached(as_user, insured,
                                                                  certificate_document):
    response = as_user(insured).get(
        reverse("insured:document-download", args=[certificate_document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    certificate_document.refresh_from_db()
    assert certificate_document.first_read_at is not None


def test_uploaded_file_is_streamed_from_private_storage(as_user, insured, insured_person):
    document = make_document(insured_person, title="Courrier", category="letter",
                             file_bytes=b"%PDF-1.4 courrier")
    response = as_user(insured).get(reverse("insured:document-download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 courrier"
    assert "attachment" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]


def test_missing_file_on_disk_is_a_404_not_a_500(as_user, insured, insured_person):
    document = make_document(insured_person, category="letter", file_bytes=b"%PDF")
    document.file.storage.delete(document.file.name)
    response = as_user(insured).get(reverse("insured:document-download", args=[document.pk]))
    assert response.status_code == 404


def test_pension_statement_pdf_is_generated(as_user, pensioner, pension):
    document = make_document(pensioner.insured_person, category="pension_statement",
                             title="Attestation de rente 2026")
    response = as_user(pensioner).get(reverse("insured:document-download", args=[document.pk]))
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF")


@pytest.mark.parametrize("published", [True, False])
def test_someone_elses_or_unpublished_document_is_a_404(as_user, insured, other_document,
                                                        insured_person, published):
    target = other_document if published else make_document(insured_person, published=False)
    response = as_user(insured).get(reverse("insured:document-download", args=[target.pk]))
    assert response.status_code == 404
    target.refresh_from_db()
    assert target.first_read_at is None


def test_employer_documents_are_not_in_the_inbox(as_user, insured, employer):
    from policies.models import Document

    Document.objects.create(category="contract", title="Contrat employeur", year=2015,
                            employer=employer, published=True)
    assert "Contrat employeur" not in as_user(insured).get(
        reverse("insured:documents")).content.decode()


def test_nothing_is_visible_before_the_current_terms_are_accepted(as_user, insured,
                                                                  certificate_document):
    f.TermsFactory(version=2)
    client = as_user(insured)
    for url in (reverse("insured:documents"),
                reverse("insured:document-download", args=[certificate_document.pk])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("terms"))
    certificate_document.refresh_from_db()
    assert certificate_document.first_read_at is None
    TermsAcceptance.objects.create(user=insured, version=2)
    assert client.get(reverse("insured:documents")).status_code == 200


def test_a_document_linked_to_someone_elses_certificate_is_not_served(
        as_user, insured, insured_person, other_insured):
    from tests.portals.insured.conftest import make_document

    foreign = other_insured.insured_person.certificates.get()
    document = make_document(insured_person, certificate=foreign)
    response = as_user(insured).get(reverse("insured:document-download", args=[document.pk]))
    assert response.status_code == 404
