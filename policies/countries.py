"""The countries an address may be in, by ISO code, with the name a person reads in their
language ("Suisse", "Schweiz", "Svizzera", "Switzerland") instead of the code."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

COUNTRIES = [
    ("CH", _("Suisse")), ("LI", _("Liechtenstein")), ("FR", _("France")), ("DE", _("Allemagne")),
    ("IT", _("Italie")), ("AT", _("Autriche")), ("ES", _("Espagne")), ("PT", _("Portugal")),
]
_NAMES = dict(COUNTRIES)


def country_name(code: str) -> str:
    """"CH" -> "Suisse" in the current language; an unknown code stays as it is."""
    name = _NAMES.get((code or "").upper())
    return str(name) if name is not None else (code or "")
