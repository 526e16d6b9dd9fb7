"""PDFs survive whatever people type."""

from __future__ import annotations

import pytest

from policies.pdf import pdf_build

pytestmark = pytest.mark.django_db


def test_line_breaks_and_odd_characters_do_not_break_a_pdf():
    street = "Rue du Lac 1\n" * 80 + "<b>&amp; 漢字 😀"
    pdf = pdf_build("Mes données", [("facts", [("Rue", street)]),
                                    ("table", ["Champ", "Valeur"], [["Rue", street]])])
    assert pdf.startswith(b"%PDF")
