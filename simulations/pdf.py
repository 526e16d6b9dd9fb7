"""A saved simulation as a PDF (inputs, results, capital year by year)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from policies.pdf import pdf_build
from policies.swiss import chf, day, percent

from .models import Simulation

MONEY_KEYS = {
    "amount", "max_buy_in", "max_capital", "annual_cap", "tax_saving", "pension_without",
    "pension_with", "capital_without", "capital_with", "capital_at_retirement", "annual_pension",
    "monthly_pension", "lump_sum", "max_withdrawal", "pillar3a_balance", "wef_outstanding",
    "vested_benefit_at_50",
}
RATE_KEYS = {"lump_sum_share", "conversion_rate", "marginal_tax_rate"}
DATE_KEYS = {"withdrawal_date", "latest_withdrawal_date", "capital_locked_until",
             "last_withdrawal_date"}


def labels() -> dict[str, str]:
    return {
        "amount": _("Montant"),
        "max_buy_in": _("Rachat maximal possible"),
        "max_capital": _("Avoir maximal selon le règlement"),
        "annual_cap": _("Plafond annuel (arrivée de l'étranger)"),
        "tax_saving": _("Économie d'impôt estimée"),
        "capital_locked_until": _("Retrait en capital impossible jusqu'au"),
        "pension_without": _("Rente annuelle à la retraite, sans l'opération"),
        "pension_with": _("Rente annuelle à la retraite, avec l'opération"),
        "capital_without": _("Avoir à la retraite, sans l'opération"),
        "capital_with": _("Avoir à la retraite, avec l'opération"),
        "retirement_age": _("Âge de la retraite"),
        "retirement_year": _("Année de la retraite"),
        "lump_sum_share": _("Part prise en capital"),
        "capital_at_retirement": _("Avoir à la retraite"),
        "conversion_rate": _("Taux de conversion"),
        "annual_pension": _("Rente annuelle"),
        "monthly_pension": _("Rente mensuelle"),
        "lump_sum": _("Capital versé"),
        "withdrawal_date": _("Date du versement"),
        "latest_withdrawal_date": _("Versement possible jusqu'au"),
        "max_withdrawal": _("Montant maximal disponible"),
        "purpose": _("But"),
        "pillar3a_balance": _("Avoir du pilier 3a"),
        "marginal_tax_rate": _("Taux marginal d'imposition"),
        "wef_outstanding": _("Versement anticipé EPL non remboursé"),
        "vested_benefit_at_50": _("Avoir à 50 ans"),
        "last_withdrawal_date": _("Date du dernier versement anticipé"),
    }


def display(key: str, value) -> str:
    if value in (None, ""):
        return "–"
    if key in MONEY_KEYS:
        return chf(Decimal(str(value)))
    if key in RATE_KEYS:
        return percent(value, 1)
    if key in DATE_KEYS:
        return day(date.fromisoformat(value))
    if key == "purpose":
        return _("Propriété du logement") if value == "ownership" else _(
            "Parts de coopérative d'habitation")
    return str(value)


def facts(data: dict, skip=("series", "options", "reasons", "blocked_reason", "allowed",
                            "bvg_minimum_applied")) -> list[tuple[str, str]]:
    names = labels()
    return [(names.get(k, k), display(k, v)) for k, v in data.items()
            if k not in skip and k in names]


def simulation_pdf(simulation: Simulation) -> bytes:
    person = simulation.person
    blocks = [
        ("facts", [(_("Nom"), person.full_name), (_("Numéro AVS"), person.ahv_masked),
                   (_("Simulation du"), day(simulation.created_at.date()))]),
        ("h", _("Vos données")),
        ("facts", facts(simulation.inputs)),
        ("h", _("Résultat")),
        ("facts", facts(simulation.result)),
    ]
    options = simulation.result.get("options")
    if options:
        blocks += [
            ("h", _("Comparaison des âges de retraite")),
            ("table", [_("Âge"), _("Avoir"), _("Rente annuelle"), _("Capital")], [
                [o["age"], chf(o["capital"]), chf(o["annual_pension"]), chf(o["lump_sum"])]
                for o in options
            ]),
        ]
    series = simulation.result.get("series", {})
    first = next(iter(series.values()), [])
    if first:
        names = list(series)
        blocks += [
            ("h", _("Avoir de vieillesse année par année")),
            ("table", [_("Année"), _("Âge")] + [series_label(n) for n in names], [
                [row[0], row[1]] + [chf(series[n][i][2]) if i < len(series[n]) else "–"
                                    for n in names]
                for i, row in enumerate(first)
            ]),
        ]
    blocks.append(("p", _("Simulation indicative, sans engagement. Seuls le règlement et le "
                          "décompte de la caisse font foi.")))
    return pdf_build(f"{_('Simulation')} · {simulation.get_kind_display()}", blocks)


def series_label(name: str) -> str:
    return {"capital": _("Avoir"), "without": _("Sans l'opération"),
            "with": _("Avec l'opération")}.get(name, name)
