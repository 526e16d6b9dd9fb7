"""One letterhead and one font setup for every reportlab document the fund sends (certificates,
pension statements, simulations, registration and re-activation letters, data exports), so each
PDF looks like the same fund's.

It lives on the domain side because the domain builds those documents (support prints letters
from the admin); the portals use it through them. The fund's name and contacts come from
settings (FUND_NAME, FUND_ADDRESS, FUND_PHONE, FUND_EMAIL).

Fonts are reportlab's built-in Helvetica family: nothing to install or embed, and it covers
French, German and Italian. A character outside it (漢字) prints as a blank box, never an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from django.conf import settings
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import SimpleDocTemplate

FONT = "Helvetica"
FONT_BOLD = "Helvetica-Bold"
FONT_ITALIC = "Helvetica-Oblique"
FONT_CODE = "Courier-Bold"  # codes people type again: 0 and O must differ
INK = colors.HexColor("#1d2630")
MUTED = colors.HexColor("#44505f")
ACCENT = colors.HexColor("#0b3d6e")
RULE = colors.HexColor("#c9d1da")

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 20 * mm
HEAD = 30 * mm  # from the top edge to below the letterhead's rule
FOOT = 18 * mm


@dataclass(frozen=True)
class Fund:
    name: str
    address: str
    phone: str
    email: str

    @property
    def contact_line(self) -> str:
        return "  ·  ".join(part for part in (self.address, self.phone, self.email) if part)


def fund() -> Fund:
    return Fund(name=settings.FUND_NAME, address=settings.FUND_ADDRESS,
                phone=settings.FUND_PHONE, email=settings.FUND_EMAIL)


def draw_letterhead(canvas: Canvas, *, page: int | None = None) -> None:
    """The fund's name and contacts above a rule at the top, its name again and the page number
    at the foot. Called once per page (platypus: onPage; letters: before drawing a page)."""
    identity = fund()
    canvas.saveState()
    top = PAGE_HEIGHT - 14 * mm
    canvas.setFillColor(ACCENT)
    canvas.setFont(FONT_BOLD, 14)
    canvas.drawString(MARGIN, top - 4 * mm, identity.name)
    canvas.setFillColor(MUTED)
    canvas.setFont(FONT, 8.5)
    canvas.drawString(MARGIN, top - 9.5 * mm, identity.contact_line)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, PAGE_HEIGHT - HEAD + 3 * mm, PAGE_WIDTH - MARGIN,
                PAGE_HEIGHT - HEAD + 3 * mm)
    canvas.line(MARGIN, FOOT - 4 * mm, PAGE_WIDTH - MARGIN, FOOT - 4 * mm)
    canvas.setFont(FONT, 8)
    canvas.drawString(MARGIN, FOOT - 8.5 * mm, identity.name)
    if page is not None:
        canvas.drawRightString(PAGE_WIDTH - MARGIN, FOOT - 8.5 * mm, str(page))
    canvas.restoreState()


def on_page(canvas: Canvas, doc) -> None:
    """platypus page callback: the letterhead and the page number."""
    draw_letterhead(canvas, page=doc.page)


def document(buffer: BinaryIO, *, title: str, subject: str = "") -> SimpleDocTemplate:
    """A flowing A4 document (platypus) with the letterhead on every page: build it with
    `document(...).build(story, onFirstPage=on_page, onLaterPages=on_page)`."""
    return SimpleDocTemplate(
        buffer, pagesize=A4, title=title, author=fund().name, creator=fund().name,
        subject=subject or title, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=HEAD + 4 * mm, bottomMargin=FOOT + 4 * mm,
    )



def canvas_for(buffer: BinaryIO, *, title: str) -> Canvas:
    """A page-by-page document (letters): call draw_letterhead on each page before its text."""
    pdf = Canvas(buffer, pagesize=A4)
    identity = fund().name
    pdf.setTitle(title)
    pdf.setAuthor(identity)
    pdf.setCreator(identity)
    return pdf


def styles() -> StyleSheet1:
    """reportlab's sample styles in the fund's fonts and colours."""
    sheet = getSampleStyleSheet()
    for name in ("Normal", "BodyText", "Bullet", "Definition"):
        sheet[name].fontName = FONT
        sheet[name].textColor = INK
    for name in ("Title", "Heading1", "Heading2", "Heading3"):
        sheet[name].fontName = FONT_BOLD
        sheet[name].textColor = ACCENT
    sheet["Title"].alignment = 0  # left, like the letterhead
    sheet["Italic"].fontName = FONT_ITALIC
    return sheet
