"""Printable letters carrying a registration code (reportlab), one page per letter.

The plain code exists only while the code is being issued: letters are built at that moment and
never again (a lost letter means: reissue, which revokes the code and prints a new one).

Every letter is written in its reader's language: build it with `insured_letter` /
`organisation_letter` (they switch to that language themselves), or build a `Letter` inside
`translation.override(language)`.

Layout (A4, folded once for a C5 window envelope):

- Swiss business letters (SN 010130, "Geschäftsbrief") allow the window on the left or on the
  right; Swiss Post still recommends the right. For a C5 envelope (229 x 162 mm) the window of
  SN 010130 is 100 x 45 mm, 12 mm from the envelope's right edge and 65 mm from its bottom edge
  (window table "Normen für Fensterkuverts"), i.e. 117-217 mm across and 52-97 mm down the
  envelope. Swiss letter templates put the right-window address on the sheet 118 mm from the left
  edge and 60 mm from the top edge (briefli's ch-letter-template.typ: 22 mm for the left window,
  118 mm for the right one, 60 mm from the top). KOMA-Script's SN.lco (45 mm from the top, 8 mm
  from the right edge) follows an older layout; the numbers below are the ones we keep.
- A4 is 210 mm wide: from 118 mm, 82 mm of text fit before a 10 mm right margin, inside the
  window whether the sheet sits centred in the envelope (window at 107.5-207.5 mm on the sheet)
  or against its left edge (117-217 mm). The block holds at
  most 8 lines of 11 pt (45 mm); a line too long for 82 mm is set smaller (down to 8 pt), then
  cut, never wrapped (a wrapped street would read as two lines of the address).
- Nothing else is printed in the window area (date and reference sit on the left), and a fold
  mark at 148.5 mm (half of the A4 height) shows where to fold for C5.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from typing import BinaryIO

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas

from policies import letterhead
from policies.countries import country_name
from policies.swiss import ahv_masked, day

# The address block, from the sheet's top-left corner (see the module docstring).
ADDRESS_LEFT = 118 * mm
ADDRESS_TOP = 60 * mm
ADDRESS_WIDTH = 82 * mm
ADDRESS_HEIGHT = 45 * mm
ADDRESS_SIZE = 11
ADDRESS_MIN_SIZE = 8
ADDRESS_LEADING = 5 * mm
ADDRESS_MAX_LINES = int(ADDRESS_HEIGHT // ADDRESS_LEADING) - 1  # 8: the first baseline sits
# one line below the top of the block
FOLD_MARK = 148.5 * mm  # C5: A4 folded once, in the middle

LEFT = 25 * mm
TEXT_WIDTH = letterhead.PAGE_WIDTH - LEFT - 25 * mm
BODY_SIZE = 10.5
BODY_LEADING = 5.2 * mm
TOP_OF_TEXT = 112 * mm  # below the window (60 + 45 mm) and a little air


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
    title: str = ""  # instead of "Votre code d'enregistrement ..."
    intro: str = ""  # instead of the paragraph that introduces the code


def _fit(text: str, width: float, font: str, size: float) -> tuple[str, float]:
    """The line in the largest size from `size` down to ADDRESS_MIN_SIZE that fits `width`;
    cut with an ellipsis if even that is too wide."""
    current = size
    while current > ADDRESS_MIN_SIZE and stringWidth(text, font, current) > width:
        current -= 0.5
    if stringWidth(text, font, current) <= width:
        return text, current
    while text and stringWidth(text + "…", font, current) > width:
        text = text[:-1]
    return text + "…", current


def _address(pdf: canvas.Canvas, lines: list[str]) -> None:
    lines = [line.strip() for line in lines if line and line.strip()][:ADDRESS_MAX_LINES]
    y = letterhead.PAGE_HEIGHT - ADDRESS_TOP - ADDRESS_LEADING
    for line in lines:
        text, size = _fit(line, ADDRESS_WIDTH, letterhead.FONT, ADDRESS_SIZE)
        pdf.setFont(letterhead.FONT, size)
        pdf.drawString(ADDRESS_LEFT, y, text)
        y -= ADDRESS_LEADING


class _Flow:
    """Lines of text down the page; a letter that runs out of room goes on over a second page
    (with the letterhead), never off the paper."""

    def __init__(self, pdf: canvas.Canvas, y: float) -> None:
        self.pdf = pdf
        self.y = y
        self.bottom = letterhead.FOOT + 6 * mm

    def room(self, height: float) -> None:
        if self.y - height < self.bottom:
            self.pdf.showPage()
            letterhead.draw_letterhead(self.pdf)
            self.y = letterhead.PAGE_HEIGHT - letterhead.HEAD - 10 * mm

    def paragraph(self, text: str, *, font: str = letterhead.FONT, size: float = BODY_SIZE,
                  after: float = 2.5 * mm) -> None:
        for line in simpleSplit(text, font, size, TEXT_WIDTH):
            self.room(BODY_LEADING)
            self.pdf.setFont(font, size)
            self.pdf.drawString(LEFT, self.y, line)
            self.y -= BODY_LEADING
        self.y -= after


def _page(pdf: canvas.Canvas, letter: Letter) -> None:
    height = letterhead.PAGE_HEIGHT
    pdf.setStrokeColor(letterhead.RULE)
    pdf.line(4 * mm, height - FOLD_MARK, 9 * mm, height - FOLD_MARK)
    pdf.setFillColor(letterhead.INK)
    _address(pdf, letter.address)
    # Date and reference on the left, at the height of the address: outside the window.
    pdf.setFont(letterhead.FONT, 10)
    pdf.drawString(LEFT, height - ADDRESS_TOP - ADDRESS_LEADING, day(timezone.localdate()))
    if letter.reference:
        for number, line in enumerate(simpleSplit(letter.reference, letterhead.FONT, 10,
                                                  ADDRESS_LEFT - LEFT - 8 * mm)[:3]):
            pdf.drawString(LEFT, height - ADDRESS_TOP - (2 + number) * ADDRESS_LEADING, line)

    flow = _Flow(pdf, height - TOP_OF_TEXT)
    flow.paragraph(letter.title or _("Votre code d'enregistrement pour le portail en ligne"),
                   font=letterhead.FONT_BOLD, size=13, after=5 * mm)
    flow.paragraph(letter.salutation, after=4 * mm)
    flow.paragraph(letter.intro or _(
        "Avec ce code, vous créez votre accès personnel au portail en ligne. Il n'est valable "
        "qu'une seule fois, jusqu'au %(date)s."
    ) % {"date": day(timezone.localtime(letter.expires_at))}, after=5 * mm)

    # The code, in a frame, in a typewriter face (0 and O differ).
    flow.room(16 * mm)
    box_top = flow.y + 5 * mm
    pdf.setStrokeColor(letterhead.RULE)
    pdf.roundRect(LEFT - 3 * mm, box_top - 14 * mm, TEXT_WIDTH + 6 * mm, 14 * mm, 2 * mm)
    pdf.setFont(letterhead.FONT, BODY_SIZE)
    pdf.drawString(LEFT, flow.y - 3.5 * mm, _("Code d'enregistrement :"))
    pdf.setFont(letterhead.FONT_CODE, 18)
    pdf.drawString(LEFT + 52 * mm, flow.y - 4 * mm, letter.code)
    flow.y = box_top - 14 * mm - 6 * mm

    steps = letter.steps or [
        _("1. Ouvrez %(url)s") % {"url": f"{settings.SITE_URL}{letter.register_path}"},
        _("2. Suivez les 5 étapes : identification, données d'utilisateur, confirmation de "
          "l'e-mail, choix et confirmation du deuxième facteur."),
        _("3. Gardez vos codes de secours en lieu sûr."),
    ]
    for step in [*steps, *letter.extra]:
        flow.paragraph(step, after=1.5 * mm)
    flow.y -= 4 * mm
    flow.paragraph(_(
        "Conservez ce courrier en lieu sûr et ne communiquez ce code à personne. Nous ne vous le "
        "demanderons jamais par téléphone ou par e-mail."
    ))


class LetterWriter:
    """One PDF, letter after letter (a bulk job adds thousands without keeping their codes)."""

    def __init__(self, buffer: BinaryIO) -> None:
        self.pdf = letterhead.canvas_for(buffer, title=letterhead.fund().name)
        self.count = 0

    def add(self, letter: Letter) -> None:
        letterhead.draw_letterhead(self.pdf)
        with translation.override(letter.language or settings.LANGUAGE_CODE):
            _page(self.pdf, letter)
        self.pdf.showPage()
        self.count += 1

    def close(self) -> None:
        self.pdf.save()


def letters_pdf(letters: list[Letter]) -> bytes:
    buffer = BytesIO()
    writer = LetterWriter(buffer)
    for letter in letters:
        writer.add(letter)
    writer.close()
    return buffer.getvalue()


# --- The letters of registration codes ---------------------------------------------------------


def _expiry_note(expires_at: datetime) -> str:
    return _(
        "Ce code expire le %(date)s. Passé cette date, demandez-en un nouveau à notre centre "
        "clients : %(phone)s, %(email)s."
    ) % {"date": day(timezone.localtime(expires_at)), "phone": settings.FUND_PHONE,
         "email": settings.FUND_EMAIL}


def person_address(person) -> list[str]:
    """The postal address of an insured person, as printed in the window (the country only
    for an address abroad, in capitals as the post asks)."""
    lines = [person.full_name, person.street, f"{person.postcode} {person.city}".strip()]
    if person.country and person.country.upper() != "CH":
        lines.append(country_name(person.country).upper())
    return [line for line in lines if line]


def insured_letter(issued) -> Letter:
    """The letter of an insured person's code (`registration.IssuedCode`), in their language:
    the masked AHV number, and how to register with the full number, birth date and code."""
    person = issued.code.insured_person
    language = person.language or settings.LANGUAGE_CODE
    url = f"{settings.SITE_URL}{reverse('register')}"
    with translation.override(language):
        return Letter(
            address=person_address(person),
            salutation=_("Madame, Monsieur,"),
            code=issued.plain,
            expires_at=issued.code.expires_at,
            register_path=reverse("register"),
            reference=_("Numéro AVS : %(ahv)s") % {"ahv": ahv_masked(person.ahv_number)},
            language=language,
            steps=[
                _("1. Ouvrez %(url)s") % {"url": url},
                _("2. Identification : saisissez votre numéro AVS complet (il figure sur votre "
                  "carte d'assurance-maladie), votre date de naissance et le code ci-dessus."),
                _("3. Suivez les étapes suivantes : adresse e-mail et mot de passe, code de "
                  "confirmation reçu par e-mail, choix et confirmation du deuxième facteur "
                  "(application d'authentification ou SMS)."),
                _("4. Gardez vos codes de secours en lieu sûr."),
            ],
            extra=[_expiry_note(issued.code.expires_at)],
        )


def organisation_letter(issued, *, contact: str = "", language: str = "") -> Letter:
    """The letter of an employer's or broker's code (the code also went by e-mail): it works
    only with the e-mail address it was sent to."""
    code = issued.code
    organisation = code.employer or code.agency
    language = language or settings.LANGUAGE_CODE
    url = f"{settings.SITE_URL}{reverse('register-code')}"
    name = str(getattr(organisation, "name", "") or "")
    with translation.override(language):
        email_step = (
            _("2. Saisissez le code ci-dessus, puis l'adresse e-mail %(email)s : le code ne "
              "fonctionne qu'avec cette adresse.") % {"email": code.email}
            if code.email else _("2. Saisissez le code ci-dessus.")
        )
        address = [name, contact, getattr(organisation, "street", ""),
                   f"{getattr(organisation, 'postcode', '')} {getattr(organisation, 'city', '')}"]
        return Letter(
            address=[line.strip() for line in address if line and line.strip()],
            salutation=_("Bonjour %(name)s,") % {"name": contact} if contact
            else _("Madame, Monsieur,"),
            code=issued.plain,
            expires_at=code.expires_at,
            register_path=reverse("register-code"),
            reference=_("Accès pour : %(org)s") % {"org": name},
            language=language,
            steps=[
                _("1. Ouvrez %(url)s") % {"url": url},
                email_step,
                _("3. Suivez les étapes suivantes : mot de passe, code de confirmation reçu par "
                  "e-mail, choix et confirmation du deuxième facteur."),
                _("4. Gardez vos codes de secours en lieu sûr."),
            ],
            extra=[_expiry_note(code.expires_at)],
        )
