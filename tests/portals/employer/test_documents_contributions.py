"""Company documents (permission-checked download, new-document notice) and contribution
invoices and statements (paid / open / overdue, the lines behind them, PDF)."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from django.utils import timezone

from accounts.models import OutboxMessage
from policies.models import Document
from policies.services import document_publish
from tests.pdf_text import pdf_pages_text
from tests.portals.employer.conftest import make_invoice

pytestmark = pytest.mark.django_db


def test_documents_list_marks_new_ones_and_downloads_through_the_check(
        as_user, hr_admin, company_document, other_document):
    client = as_user(hr_admin)
    page = client.get("/employer/documents/").content.decode()
    assert "Contrat d&#x27;affiliation 2026" in page and "nouveau" in page
    assert "Document Autre" not in page
    response = client.get(f"/employer/documents/{company_document.pk}/")
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    company_document.refresh_from_db()
    assert company_document.first_read_at is not None
    assert client.get(f"/employer/documents/{other_document.pk}/").status_code == 404


def test_an_unpublished_document_is_a_404(as_user, hr_admin, company_document):
    Document.objects.filter(pk=company_document.pk).update(published=False)
    assert as_user(hr_admin).get(
        f"/employer/documents/{company_document.pk}/").status_code == 404


def test_publishing_a_company_document_tells_its_users(employer, hr_admin, clerk, third_party,
                                                       other_employer_hr):
    document = Document.objects.create(category="letter", title="Courrier", year=2026,
                                       employer=employer)
    document_publish(document=document)
    recipients = set(OutboxMessage.objects.values_list("recipient", flat=True))
    assert recipients == {hr_admin.email, clerk.email, third_party.email}
    body = OutboxMessage.objects.first().body
    assert "/employer/documents/" in body and "Courrier" not in body


def test_invoices_show_paid_open_and_overdue(as_user, hr_admin, employer, staff_person):
    today = timezone.localdate()
    make_invoice(employer, staff_person, number="F-1", due_on=today + timedelta(days=10))
    make_invoice(employer, staff_person, number="F-2", due_on=today - timedelta(days=10))
    make_invoice(employer, staff_person, number="F-3", status="paid", paid_on=today)
    client = as_user(hr_admin)
    page = client.get("/employer/contributions/").content.decode()
    assert "Ouverte" in page and "En retard" in page and "Payée" in page
    overdue = client.get("/employer/contributions/", {"state": "overdue"}).content.decode()
    assert "F-2" in overdue and "F-1" not in overdue and "F-3" not in overdue


def test_the_invoice_lines_and_their_export(as_user, hr_admin, invoice, staff_person):
    client = as_user(hr_admin)
    page = client.get(f"/employer/contributions/{invoice.pk}/").content.decode()
    assert "Favre Claire" in page and "617.25" in page
    response = client.get(f"/employer/contributions/{invoice.pk}/", {"export": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")),
                           delimiter=";"))
    assert rows[0] == ["Nom", "Numéro AVS", "N° de personnel", "Salaire déterminant",
                       "Part salarié", "Part employeur"]
    assert rows[1][0] == "Favre Claire" and rows[1][4] == "617.25"


def test_the_invoice_pdf_has_the_letterhead_and_the_lines(as_user, hr_admin, invoice):
    response = as_user(hr_admin).get(f"/employer/contributions/{invoice.pk}/pdf/")
    assert response["Content-Type"] == "application/pdf"
    text = "\n".join(pdf_pages_text(response.content))
    assert invoice.number in text and "Favre Claire" in text and "617.25" in text


def test_another_companys_invoice_is_a_404(as_user, hr_admin, other_invoice):
    client = as_user(hr_admin)
    assert client.get(f"/employer/contributions/{other_invoice.pk}/").status_code == 404
    assert client.get(f"/employer/contributions/{other_invoice.pk}/pdf/").status_code == 404


def test_the_home_page_names_the_next_open_invoice(as_user, hr_admin, employer, staff_person):
    make_invoice(employer, staff_person, number="F-LATER", due_on=date(2099, 1, 1))
    make_invoice(employer, staff_person, number="F-NEXT", due_on=date(2098, 1, 1))
    page = as_user(hr_admin).get("/employer/").content.decode()
    assert "F-NEXT" in page and "F-LATER" not in page
