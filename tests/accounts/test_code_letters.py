"""The registration letter, read back from the PDF: in the person's language, the code, the
masked AHV number and the address in the window of a C5 envelope; never the full AHV number."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from accounts import registration as reg
from accounts.letters import insured_letter, letters_pdf, organisation_letter
from policies.swiss import day
from tests import factories as f
from tests.pdf_text import pdf_pages_text, pdf_placed_text

pytestmark = pytest.mark.django_db

PAGE_HEIGHT = 297 * mm

# A sentence of each language's instructions (the step that names the AHV number and birth date).
INSTRUCTIONS = {
    "fr": "saisissez votre numéro AVS complet",
    "de": "Geben Sie Ihre vollständige AHV-Nummer",
    "it": "Inserisca il Suo numero AVS completo",
    "en": "enter your full AHV number",
}


def _person(language: str = "fr", **extra):
    fields = {"first_name": "Claire", "last_name": "Favre", "street": "Rue du Lac 12",
              "postcode": "1003", "city": "Lausanne", "language": language, **extra}
    return f.InsuredPersonFactory(**fields)


def _letter_text(person) -> tuple[str, reg.IssuedCode]:
    issued = reg.insured_code_issue(person=person, created_by=None, days=30)
    pages = pdf_pages_text(letters_pdf([insured_letter(issued)]))
    assert len(pages) == 1
    return pages[0], issued


@pytest.mark.parametrize("language", ["fr", "de", "it", "en"])
def test_the_letter_reads_in_the_persons_language(language):
    person = _person(language)
    text, issued = _letter_text(person)
    assert INSTRUCTIONS[language] in text
    assert issued.plain in text
    digits = re.sub(r"\D", "", person.ahv_number)
    assert f"756.****.****.{digits[-2:]}" in text
    assert person.ahv_number not in text and digits not in text.replace(".", "")
    for line in ("Claire Favre", "Rue du Lac 12", "1003 Lausanne"):
        assert line in text
    assert day(issued.code.expires_at) in text  # the expiry date
    assert f"{settings.SITE_URL}/register/" in text  # where to register
    assert settings.FUND_NAME in text  # the letterhead


def test_the_address_sits_in_the_right_window_of_a_c5_envelope():
    person = _person(street="Chemin des Très Longues Vignes du Haut-Lavaux 144b",
                     last_name="Favre-de Montmollin-Schürch-Bernasconi")
    issued = reg.insured_code_issue(person=person, created_by=None)
    placed = pdf_placed_text(letters_pdf([insured_letter(issued)]))[0]
    address = [p for p in placed if p[0] == pytest.approx(118 * mm)]
    assert [p[3] for p in address][1:] == ["Chemin des Très Longues Vignes du Haut-Lavaux 144b",
                                           "1003 Lausanne"]
    for x, y, size, text in address:
        from_top = (PAGE_HEIGHT - y) / mm
        assert 60 < from_top < 105, text  # inside the 45 mm high window field from 60 mm
        assert x + stringWidth(text, "Helvetica", size) <= 200 * mm, text  # 10 mm margin
        assert size >= 8
    # Nothing else is printed in the window area.
    others = [p for p in placed if p not in address and p[0] >= 110 * mm
              and 55 * mm < PAGE_HEIGHT - p[1] < 110 * mm]
    assert others == []


def test_an_address_abroad_ends_with_the_country():
    person = _person(country="FR", postcode="74100", city="Annemasse")
    text, _issued = _letter_text(person)
    assert "74100 Annemasse\nFRANCE" in text


def test_an_organisation_letter_names_the_address_the_code_works_with(employer):
    employer.street, employer.postcode, employer.city = "Grand-Rue 5", "1820", "Montreux"
    employer.save()
    issued = reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                         email="rh@boulangerie.ch", created_by=None)
    text = pdf_pages_text(letters_pdf([organisation_letter(
        issued, contact="Sophie Rochat", language="de")]))[0]
    assert "Boulangerie Test SA\nSophie Rochat\nGrand-Rue 5\n1820 Montreux" in text
    assert issued.plain in text
    assert "rh@boulangerie.ch" in text and "/register/code/" in text
    assert "Guten Tag Sophie Rochat," in text


def test_every_letter_of_a_batch_is_its_own_page_with_its_own_code():
    issued = [reg.insured_code_issue(person=_person(language), created_by=None)
              for language in ("fr", "de")]
    pages = pdf_pages_text(letters_pdf([insured_letter(i) for i in issued]))
    assert len(pages) == 2
    assert issued[0].plain in pages[0] and issued[1].plain not in pages[0]
    assert INSTRUCTIONS["de"] in pages[1]
