"""Printable letters carrying a registration code (reportlab), one page per letter.

The plain code exists only while the code is being issued: letters are built at that moment and
never again (a lost letter means: revoke and issue a new code).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from policies import letterhead
from policies.swiss import day


@dataclass(frozen=True)
class Letter:
    address: list[str]
    salutation: str
    code: str
    expires_at: datetime
    register_path: str  # /register/ or /register/code/
    reference: str = ""  # e.g. the masked AHV number or the organisation
    language: str = "fr"
    extra: list[str] = field(default_factory=list)
    steps: list[str] | None = None  # instead of the registration steps (e.g. re-enrolment)


def _wrap(text: str, width: int = 88) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            if len(line) + len(word) + 1 > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines.append(line)
    return lines


def letters_pdf(letters: list[Letter]) -> bytes:
    buffer = BytesIO()
    pdf = letterhead.canvas_for(buffer, title=letterhead.fund().name)
    width, height = letterhead.PAGE_WIDTH, letterhead.PAGE_HEIGHT
    for letter in letters:
        letterhead.draw_letterhead(pdf)
        with translation.override(letter.language or settings.LANGUAGE_CODE):
            _page(pdf, letter, width, height)
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _page(pdf: canvas.Canvas, letter: Letter, width: float, height: float) -> None:
    left = 25 * mm
    pdf.setFont(letterhead.FONT, 10)
    pdf.drawRightString(width - 25 * mm, height - 40 * mm, day(timezone.localdate()))
    # Address block at the window position of a C5 envelope (right window).
    y = height - 55 * mm
    pdf.setFont(letterhead.FONT, 11)
    for line in letter.address:
        pdf.drawString(110 * mm, y, line)
        y -= 5 * mm
    y = height - 100 * mm
    pdf.setFont(letterhead.FONT_BOLD, 13)
    pdf.drawString(left, y, _("Votre code d'enregistrement pour le portail en ligne"))
    y -= 12 * mm
    pdf.setFont(letterhead.FONT, 11)
    pdf.drawString(left, y, letter.salutation)
    y -= 10 * mm
    intro = _(
        "Avec ce code, vous créez votre accès personnel au portail en ligne. Il n'est valable "
        "qu'une seule fois, jusqu'au %(date)s."
    ) % {"date": day(timezone.localtime(letter.expires_at))}
    for line in _wrap(intro):
        pdf.drawString(left, y, line)
        y -= 5.5 * mm
    y -= 6 * mm
    if letter.reference:
        pdf.drawString(left, y, letter.reference)
        y -= 8 * mm
    pdf.setFont(letterhead.FONT, 11)
    pdf.drawString(left, y, _("Code d'enregistrement :"))
    pdf.setFont(letterhead.FONT_CODE, 20)
    pdf.drawString(left + 50 * mm, y - 1 * mm, letter.code)
    y -= 16 * mm
    pdf.setFont(letterhead.FONT, 11)
    steps = letter.steps or [
        _("1. Ouvrez %(url)s") % {"url": f"{settings.SITE_URL}{letter.register_path}"},
        _("2. Suivez les 5 étapes : identification, données d'utilisateur, confirmation de "
          "l'e-mail, choix et confirmation du deuxième facteur."),
        _("3. Gardez vos codes de secours en lieu sûr."),
    ]
    steps = [*steps, *letter.extra]
    for step in steps:
        for line in _wrap(step):
            pdf.drawString(left, y, line)
            y -= 5.5 * mm
        y -= 2 * mm
    y -= 6 * mm
    for line in _wrap(_(
        "Conservez ce courrier en lieu sûr et ne communiquez ce code à personne. Nous ne vous le "
        "demanderons jamais par téléphone ou par e-mail."
    )):
        pdf.drawString(left, y, line)
        y -= 5.5 * mm
