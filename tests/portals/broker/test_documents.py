"""Client documents: only those on policies under the membership's mandates, downloaded through
the permission-checked view; a broker's download leaves the client's own "read" mark alone."""

from __future__ import annotations

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from policies.models import Document

pytestmark = pytest.mark.django_db


def _doc(policy, title, *, published=True, category="letter", file_bytes=b"%PDF-1.4 x"):
    doc = Document(category=category, title=title, year=2025, policy=policy, published=published,
                   published_at=timezone.now() if published else None)
    if file_bytes is not None:
        doc.file.save("doc.pdf", ContentFile(file_bytes), save=False)
    doc.save()
    return doc


def test_it_lists_the_clients_published_documents_only(as_user, broker, document, policy,
                                                       colleague_policy, broker2_policy):
    _doc(policy, "Brouillon interne", published=False)
    _doc(colleague_policy, "Lettre du voisin")
    _doc(broker2_policy, "Lettre étrangère")
    page = as_user(broker).get(reverse("broker:documents")).content.decode()
    assert "Courrier de bienvenue" in page and "nouveau" in page
    for hidden in ("Brouillon interne", "Lettre du voisin", "Lettre étrangère"):
        assert hidden not in page


def test_the_download_serves_the_file_without_marking_it_read(as_user, broker, document):
    response = as_user(broker).get(reverse("broker:document-download", args=[document.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 lettre"
    assert 'filename="courrier-de-bienvenue-2024.pdf"' in response["Content-Disposition"]
    document.refresh_from_db()
    assert document.first_read_at is None


def test_a_policy_document_without_file_is_generated(as_user, broker, policy):
    doc = _doc(policy, "Police", category="policy", file_bytes=None)
    response = as_user(broker).get(reverse("broker:document-download", args=[doc.pk]))
    assert response.content.startswith(b"%PDF")


def test_an_unpublished_or_foreign_document_is_a_404(as_user, broker, policy, broker2_policy):
    client = as_user(broker)
    draft = _doc(policy, "Brouillon", published=False)
    foreign = _doc(broker2_policy, "Étrangère")
    assert client.get(reverse("broker:document-download", args=[draft.pk])).status_code == 404
    assert client.get(reverse("broker:document-download", args=[foreign.pk])).status_code == 404


def test_an_insured_persons_document_is_never_a_brokers(as_user, broker, insured_person, policy):
    doc = Document.objects.create(category="certificate", title="Certificat", year=2026,
                                  insured_person=insured_person, published=True,
                                  published_at=timezone.now())
    response = as_user(broker).get(reverse("broker:document-download", args=[doc.pk]))
    assert response.status_code == 404


def test_a_missing_file_is_a_404_not_a_500(as_user, broker, document):
    document.file.storage.delete(document.file.name)
    response = as_user(broker).get(reverse("broker:document-download", args=[document.pk]))
    assert response.status_code == 404


def test_the_client_page_lists_their_documents_and_policies(as_user, broker, document,
                                                            client_holder):
    page = as_user(broker).get(reverse("broker:client", args=[client_holder.pk])).content
    page = page.decode()
    assert "Courrier de bienvenue" in page and "P-810001" in page and "Valérie Vermeil" in page


def test_documents_search_finds_by_title(as_user, broker, document, policy):
    _doc(policy, "Avenant")
    response = as_user(broker).get(reverse("broker:documents"), {"q": "Bienvenue"})
    assert [r.object.title for r in response.context["listing"]["rows"]] == [
        "Courrier de bienvenue"]
