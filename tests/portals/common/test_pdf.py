"""Every PDF the fund sends carries the one letterhead (policies/letterhead.py): the fund's name
and contacts from settings on each page."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from accounts.letters import Letter, letters_pdf
from policies import pdf as policy_pdf
from policies.models import Pension, PensionPayment
from simulations.models import Simulation
from simulations.pdf import simulation_pdf
from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db

FUND = "Fondation de prévoyance Essai"
PHONE = "+41 31 000 00 00"


@pytest.fixture(autouse=True)
def _fund(settings):
    settings.FUND_NAME = FUND
    settings.FUND_PHONE = PHONE
    with translation.override("fr"):
        yield


def assert_letterhead_on_every_page(pdf: bytes) -> list[str]:
    pages = pdf_pages_text(pdf)
    assert pages, "no page text found"
    for number, text in enumerate(pages, start=1):
        assert FUND in text, f"page {number} has no letterhead"
        assert PHONE in text, f"page {number} has no contacts"
    return pages


def test_a_certificate_shows_the_letterhead(insured_person):
    pages = assert_letterhead_on_every_page(
        policy_pdf.certificate_pdf(insured_person.certificates.get()))
    assert "Certificat de prévoyance" in pages[0]


def test_a_pension_statement_shows_the_letterhead(insured_person):
    pension = Pension.objects.create(person=insured_person, kind="old_age",
                                     monthly_amount=Decimal("2150.40"), start_date=date(2020, 4, 1))
    PensionPayment.objects.create(pension=pension, date=date(2026, 1, 25), amount=Decimal("2150.40"))
    pages = assert_letterhead_on_every_page(policy_pdf.pension_statement_pdf(insured_person, 2026))
    assert "CHF 2'150.40" in "".join(pages)


def test_a_long_data_export_shows_the_letterhead_and_number_on_every_page():
    data = {"historique": [{"date": f"{n:02d}.01.2026", "action": "connexion"} for n in range(90)]}
    pages = assert_letterhead_on_every_page(policy_pdf.personal_data_pdf(data))
    assert len(pages) > 2
    for number, text in enumerate(pages, start=1):
        assert f"\n{number}\n" in text, f"page {number} is not numbered"


def test_a_simulation_shows_the_letterhead(insured_person):
    simulation = Simulation.objects.create(
        person=insured_person, kind="buy_in", inputs={"amount": "10000.00"},
        result={"max_buy_in": "50000.00", "amount": "10000.00"})
    pages = assert_letterhead_on_every_page(simulation_pdf(simulation))
    assert "CHF 50'000.00" in pages[0]


def test_registration_letters_show_the_letterhead_on_each_letter():
    letter = Letter(address=["Claire Favre", "Rue du Lac 1", "1003 Lausanne"],
                    salutation="Madame,", code="ABCD-EFGH-JKLM",
                    expires_at=timezone.now() + timedelta(days=30), register_path="/register/")
    pages = assert_letterhead_on_every_page(letters_pdf([letter, letter]))
    assert len(pages) == 2 and "ABCD-EFGH-JKLM" in pages[1]


def test_a_certificate_downloaded_from_the_portal_shows_the_letterhead(as_user, insured):
    from tests.portals.insured.conftest import make_document

    person = insured.insured_person
    document = make_document(person, certificate=person.certificates.get())
    response = as_user(insured).get(reverse("insured:document-download", args=[document.pk]))
    assert response.status_code == 200
    assert_letterhead_on_every_page(response.content)
