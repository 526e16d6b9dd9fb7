"""PDFs generated with reportlab from the data (certificate, pension statement, my data), with
one small builder the simulations reuse."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle

from . import letterhead
from .models import (
    Certificate,
    CommissionLine,
    CommissionStatement,
    InsuredPerson,
    PensionPayment,
    Policy,
    PolicyValue,
)
from .swiss import amount, chf, day, percent

# A block is ("h", text) | ("p", text) | ("facts", [(label, value), ...])
# | ("table", [header, ...], [[cell, ...], ...])
Block = tuple


def _one_line(value) -> str:
    """One line per cell: a line break typed into an address must not blow up the layout."""
    return " ".join(str(value).split())


def pdf_build(title: str, blocks: Iterable[Block], *, subject: str = "") -> bytes:
    """A document on the fund's letterhead: the title, then the blocks in order."""
    buffer = io.BytesIO()
    doc = letterhead.document(buffer, title=title, subject=subject)
    styles = letterhead.styles()
    story: list = [Paragraph(escape(title), styles["Title"])]
    grid = TableStyle([
        ("LINEBELOW", (0, 0), (-1, -1), 0.25, letterhead.RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), letterhead.FONT),
        ("FONTSIZE", (0, 0), (-1, -1), 9.5),
    ])
    for block in blocks:
        kind = block[0]
        if kind == "h":
            story += [Spacer(1, 3 * mm), Paragraph(escape(block[1]), styles["Heading2"])]
        elif kind == "p":
            story.append(Paragraph(escape(block[1]), styles["Normal"]))
        elif kind == "facts":
            rows = [[_one_line(label), _one_line(value)] for label, value in block[1]]
            if rows:
                table = Table(rows, colWidths=[95 * mm, 70 * mm])
                table.setStyle(grid)
                table.setStyle(TableStyle([("ALIGN", (1, 0), (1, -1), "RIGHT")]))
                story.append(table)
        elif kind == "table":
            header: Sequence[str] = block[1]
            rows = [[_one_line(c) for c in header]] + [[_one_line(c) for c in row]
                                                      for row in block[2]]
            table = Table(rows, repeatRows=1)
            table.setStyle(grid)
            table.setStyle(TableStyle([
                ("FONTNAME", (0, 0), (-1, 0), letterhead.FONT_BOLD),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
            ]))
            story.append(table)
    story += [
        Spacer(1, 8 * mm),
        Paragraph(escape(_("Établi le %(date)s.") % {"date": day(timezone.localdate())}),
                  styles["Italic"]),
    ]
    doc.build(story, onFirstPage=letterhead.on_page, onLaterPages=letterhead.on_page)
    return buffer.getvalue()


def _person_block(person: InsuredPerson) -> Block:
    return ("facts", [
        (_("Nom"), person.full_name),
        (_("Numéro AVS"), person.ahv_masked),
        (_("Date de naissance"), day(person.birth_date)),
        (_("Employeur"), person.contract.employer.name),
        (_("Contrat"), person.contract.number),
    ])


def certificate_pdf(certificate: Certificate) -> bytes:
    person = certificate.person
    title = _("Certificat de prévoyance %(year)s") % {"year": certificate.year}
    return pdf_build(title, [
        _person_block(person),
        ("h", _("Salaire et avoir")),
        ("facts", [
            (_("Valable dès le"), day(certificate.valid_from)),
            (_("Salaire annuel déclaré"), chf(certificate.annual_salary)),
            (_("Salaire assuré"), chf(certificate.insured_salary)),
            (_("Avoir de vieillesse"), chf(certificate.savings_capital)),
        ]),
        ("h", _("Prestations de vieillesse projetées à 65 ans")),
        ("facts", [
            (_("Avoir de vieillesse projeté"), chf(certificate.projected_capital_65)),
            (_("Rente de vieillesse annuelle"), chf(certificate.projected_pension_65)),
        ]),
        ("h", _("Prestations en cas d'invalidité et de décès")),
        ("facts", [
            (_("Rente d'invalidité annuelle"), chf(certificate.disability_pension)),
            (_("Rente de conjoint annuelle"), chf(certificate.spouse_pension)),
            (_("Capital décès"), chf(certificate.death_capital)),
        ]),
        ("h", _("Possibilités")),
        ("facts", [
            (_("Rachat maximal"), chf(certificate.max_buy_in)),
            (_("Montant disponible pour le logement (EPL)"), chf(certificate.wef_available)),
        ]),
        ("h", _("Cotisations annuelles")),
        ("facts", [
            (_("Part salarié"), chf(certificate.employee_contribution)),
            (_("Part employeur"), chf(certificate.employer_contribution)),
        ]),
    ], subject=_("Certificat de prévoyance"))


def pension_statement_pdf(person: InsuredPerson, year: int) -> bytes:
    payments = list(
        PensionPayment.objects.filter(pension__person=person, date__year=year)
        .select_related("pension").order_by("date")
    )
    total = sum((p.amount for p in payments), start=0)
    title = _("Attestation de rente %(year)s") % {"year": year}
    return pdf_build(title, [
        _person_block(person),
        ("h", _("Rentes")),
        ("table", [_("Type"), _("Montant mensuel"), _("Début")], [
            [p.get_kind_display(), chf(p.monthly_amount), day(p.start_date)]
            for p in person.pensions.all()
        ]),
        ("h", _("Paiements %(year)s") % {"year": year}),
        ("table", [_("Date"), _("Type"), _("Montant")], [
            [day(p.date), p.pension.get_kind_display(), chf(p.amount)] for p in payments
        ]),
        ("facts", [(_("Total versé en %(year)s") % {"year": year}, chf(total))]),
        ("p", _("À joindre à votre déclaration d'impôt.")),
    ], subject=_("Attestation de rente"))


def personal_data_pdf(data: dict) -> bytes:
    """Readable version of the JSON export: every section as label/value rows."""
    blocks: list[Block] = [("p", _("Toutes les données que la caisse détient à votre sujet."))]
    for section, content in data.items():
        blocks.append(("h", section.replace("_", " ").capitalize()))
        if isinstance(content, dict):
            blocks.append(("facts", [(k, _flat(v)) for k, v in content.items()]))
        elif isinstance(content, list):
            if not content:
                blocks.append(("p", "–"))
            for item in content:
                blocks.append(("facts", [(k, _flat(v)) for k, v in item.items()]))
                blocks.append(("p", " "))
    return pdf_build(_("Mes données"), blocks)


def _flat(value) -> str:
    if value is None or value == "":
        return "–"
    if isinstance(value, list | dict):
        import json

        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) < 80 else text[:77] + "…"
    return str(value)


# --- broker portal (issue 11) --------------------------------------------------------------------

def _policy_block(policy: Policy) -> Block:
    insured = policy.insured or policy.holder
    return ("facts", [
        (_("Numéro de police"), policy.number),
        (_("Produit"), policy.product),
        (_("Preneur d'assurance"), f"{policy.holder.first_name} {policy.holder.last_name}"),
        (_("Personne assurée"), f"{insured.first_name} {insured.last_name}"),
        (_("Statut"), policy.get_status_display()),
    ])


def valuation_statement_pdf(policy: Policy, values: Sequence[PolicyValue]) -> bytes:
    """The surrender value on its reference date and its history, for the broker's client."""
    current = values[-1] if values else None
    title = _("Attestation de valeur de rachat")
    return pdf_build(title, [
        _policy_block(policy),
        ("h", _("Valeur actuelle")),
        ("facts", [
            (_("Valeur de rachat"), chf(current.surrender_value) if current else "–"),
            (_("Date de référence"), day(current.date) if current else "–"),
            (_("Capital assuré"), chf(policy.sum_insured)),
        ]),
        ("h", _("Historique")),
        ("table", [_("Date de valeur"), _("Valeur de rachat")], [
            [day(v.date), chf(v.surrender_value)] for v in reversed(values)
        ]),
        ("p", _("Valeur indicative à la date de référence ; la valeur de rachat effective est "
                "calculée au jour du rachat.")),
    ], subject=title)


def commission_statement_pdf(statement: CommissionStatement,
                             lines: Sequence[CommissionLine]) -> bytes:
    title = _("Décompte de commissions du %(start)s au %(end)s") % {
        "start": day(statement.period_start), "end": day(statement.period_end)}
    broker = statement.broker
    return pdf_build(title, [
        ("facts", [
            (_("Agence"), statement.agency.name),
            (_("Courtier"), f"{broker.first_name} {broker.last_name}" if broker
             else _("Agence (sans courtier attitré)")),
            (_("Calculé le"), day(timezone.localtime(statement.computed_at))),
        ]),
        ("table", [_("Police"), _("Client"), _("Type"), _("Base"), _("Taux"), _("Montant")], [
            [ln.policy.number, f"{ln.policy.holder.last_name} {ln.policy.holder.first_name}",
             ln.get_kind_display(), amount(ln.basis), percent(ln.rate, 2), amount(ln.amount)]
            for ln in lines
        ]),
        ("facts", [(_("Total (CHF)"), amount(statement.total))]),
        ("p", _("Les annulations et les reprises de commission figurent en négatif.")),
    ], subject=_("Décompte de commissions"))


def contribution_invoice_pdf(invoice) -> bytes:
    """A contribution invoice or statement with the lines behind it (name, salary basis, both
    shares): what the employer may see, nothing of the persons' savings or benefits."""
    from django.db.models import Sum

    from .models import ContributionInvoice

    lines = invoice.lines.select_related("person").order_by("person__last_name",
                                                            "person__first_name", "pk")
    totals = lines.aggregate(salary=Sum("salary_basis"), employee=Sum("employee_share"),
                             employer=Sum("employer_share"))
    status = _("Payée") if invoice.status == ContributionInvoice.Status.PAID else (
        _("En retard") if invoice.is_overdue() else _("Ouverte"))
    blocks: list[Block] = [
        ("facts", [
            (_("Employeur"), f"{invoice.employer.name} ({invoice.employer.uid})"),
            (_("Contrat"), invoice.contract.number),
            (_("Période"), f"{day(invoice.period_start)} – {day(invoice.period_end)}"),
            (_("Émise le"), day(invoice.issued_on)),
            (_("Échéance"), day(invoice.due_on)),
            (_("Montant"), chf(invoice.amount)),
            (_("Statut"), status),
        ]),
        ("h", _("Détail par personne")),
        ("table", [_("Nom"), _("N° de personnel"), _("Salaire déterminant"), _("Part salarié"),
                   _("Part employeur")],
         [[f"{line.person.last_name} {line.person.first_name}", line.person.personnel_number,
           chf(line.salary_basis), chf(line.employee_share), chf(line.employer_share)]
          for line in lines]
         + [[_("Total"), "", chf(totals["salary"] or 0), chf(totals["employee"] or 0),
             chf(totals["employer"] or 0)]]),
    ]
    return pdf_build(f"{invoice.get_kind_display()} {invoice.number}", blocks)
