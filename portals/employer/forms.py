"""Forms of the employer portal. A mutation form validates its fields, then hands the values to
the fund's rules (policies.mutations.MutationChecker): the same checks as a row of a file."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.models import InsuredPerson, Mutation
from policies.mutations import MutationChecker, effective_date_problem, message
from portals.common.fields import AhvField, ChfField, PercentField, SwissDateField

Kind = Mutation.Kind

COUNTRIES = [
    ("CH", _("Suisse")), ("LI", _("Liechtenstein")), ("FR", _("France")), ("DE", _("Allemagne")),
    ("IT", _("Italie")), ("AT", _("Autriche")), ("ES", _("Espagne")), ("PT", _("Portugal")),
]
EXIT_REASONS = [
    ("", _("— choisir —")),
    ("resignation", _("Démission")),
    ("dismissal", _("Licenciement")),
    ("fixed_term", _("Fin d'un contrat à durée déterminée")),
    ("retirement", _("Retraite")),
    ("death", _("Décès")),
    ("other", _("Autre motif")),
]
# Which form field shows a problem of which checker column.
FIELD_OF_COLUMN = {"ahv": "person_ref", "personnel_number": "person_ref"}

EFFECTIVE_LABELS = {
    Kind.ENTRY: _("Date d'entrée"),
    Kind.EXIT: _("Date de sortie (dernier jour de travail)"),
    Kind.SALARY: _("Nouveau salaire valable dès le"),
    Kind.DEGREE: _("Nouveau taux valable dès le"),
    Kind.CIVIL_STATUS: _("Date du changement"),
    Kind.ADDRESS: _("Date du déménagement"),
    Kind.UNPAID_LEAVE: _("Début du congé"),
}
EFFECTIVE_HELP = {
    Kind.SALARY: _("Le 1er d'un mois, au plus 12 mois en arrière."),
    Kind.DEGREE: _("Le 1er d'un mois, au plus 12 mois en arrière."),
}


class MutationForm(forms.Form):
    """One form per kind: `fields_for` says which fields it shows."""

    person_ref = forms.CharField(
        label=_("Numéro AVS ou n° de personnel"), max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    ahv = AhvField(label=_("Numéro AVS"))
    personnel_number = forms.CharField(label=_("N° de personnel (facultatif)"), max_length=30,
                                       required=False)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    birth_date = SwissDateField(label=_("Date de naissance"), past=True)
    sex = forms.ChoiceField(label=_("Sexe"), choices=InsuredPerson.Sex.choices,
                            widget=forms.RadioSelect)
    contract = forms.ChoiceField(label=_("Contrat d'affiliation"))
    effective_date = SwissDateField(label=_("Date d'effet"))
    annual_salary = ChfField(label=_("Salaire annuel brut (CHF)"),
                             help_text=_("Salaire AVS annuel, 13e salaire compris."))
    employment_degree = PercentField(label=_("Taux d'occupation (%)"), low=Decimal(1),
                                     high=Decimal(100), decimal_places=2)
    exit_reason = forms.ChoiceField(label=_("Motif de la sortie"), choices=EXIT_REASONS)
    civil_status = forms.ChoiceField(label=_("Nouvel état civil"),
                                     choices=InsuredPerson.CivilStatus.choices)
    street = forms.CharField(label=_("Rue et numéro"), max_length=200)
    postcode = forms.CharField(label=_("NPA"), max_length=10)
    city = forms.CharField(label=_("Localité"), max_length=100)
    country = forms.ChoiceField(label=_("Pays"), choices=COUNTRIES, initial="CH")
    end_date = SwissDateField(label=_("Fin du congé"))

    FIELDS = {
        Kind.ENTRY: ["ahv", "last_name", "first_name", "birth_date", "sex", "personnel_number",
                     "contract", "effective_date", "annual_salary", "employment_degree"],
        Kind.EXIT: ["person_ref", "effective_date", "exit_reason"],
        Kind.SALARY: ["person_ref", "effective_date", "annual_salary"],
        Kind.DEGREE: ["person_ref", "effective_date", "employment_degree"],
        Kind.CIVIL_STATUS: ["person_ref", "effective_date", "civil_status"],
        Kind.ADDRESS: ["person_ref", "effective_date", "street", "postcode", "city", "country"],
        Kind.UNPAID_LEAVE: ["person_ref", "effective_date", "end_date"],
    }

    def __init__(self, *args, kind: str, employer_id: int, contracts: list[tuple[Any, str]],
                 **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind, self.employer_id = kind, employer_id
        wanted = list(self.FIELDS[kind])
        if kind == Kind.ENTRY and len(contracts) <= 1:
            wanted.remove("contract")
        for name in list(self.fields):
            if name not in wanted:
                del self.fields[name]
        self.order_fields(wanted)
        if "contract" in self.fields:
            self.fields["contract"].choices = [(str(pk), label) for pk, label in contracts]
        self.fields["effective_date"].label = EFFECTIVE_LABELS[kind]
        if kind in EFFECTIVE_HELP:
            self.fields["effective_date"].help_text = EFFECTIVE_HELP[kind]
        if kind == Kind.ENTRY:
            self.fields["employment_degree"].required = False
            self.fields["employment_degree"].help_text = _("100 si la case reste vide.")
        self.contract_ids = {str(pk) for pk, _label in contracts}
        self.cleaned_row: dict[str, Any] = {}

    def clean_person_ref(self) -> str:
        return " ".join(self.cleaned_data["person_ref"].split())

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        raw = {k: v for k, v in cleaned.items() if k not in ("person_ref", "contract")}
        ref = cleaned.get("person_ref")
        if ref:
            digits = re.sub(r"[.\s]", "", ref)
            if digits.isdigit() and len(digits) == 13:
                raw["ahv"] = ref
            else:
                raw["personnel_number"] = ref
        if self.kind == Kind.EXIT:
            raw["exit_reason"] = cleaned.get("exit_reason", "")
        checker = MutationChecker(employer_id=self.employer_id)
        row, problems = checker.check(raw, kind=self.kind)
        for problem in problems:
            name = FIELD_OF_COLUMN.get(problem.column, problem.column)
            self.add_error(name if name in self.fields else None, problem.text)
        if self.kind in (Kind.CIVIL_STATUS, Kind.ADDRESS):
            problem = effective_date_problem(cleaned["effective_date"])
            if problem and "effective_date" not in self.errors:
                self.add_error("effective_date", message(problem))
        if not self.errors:
            for name in ("civil_status", "street", "postcode", "city", "country"):
                if name in cleaned:
                    row[name] = cleaned[name]
            if "contract" in cleaned:
                row["contract_id"] = int(cleaned["contract"])
            self.cleaned_row = row
        return cleaned

    def mutation_values(self) -> dict[str, Any]:
        """What the service stores: the effective date, the person (pk) and the data."""
        row = dict(self.cleaned_row)
        effective: date = row.pop("effective_date")
        person_id = row.pop("person_id", None)
        row.pop("kind", None)
        if self.kind != Kind.ENTRY:
            row.pop("reentry", None)
        else:
            row["reentry"] = bool(row.get("reentry"))
        return {"effective_date": effective, "person_id": person_id, "data": row}


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier XLSX ou CSV"),
        help_text=_("Au plus 10 Mo et 50'000 lignes, avec les colonnes du modèle."),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv,text/csv"}),
        error_messages={"required": _("Choisissez un fichier."),
                        "empty": _("Le fichier est vide.")},
    )


class InviteForm(forms.Form):
    SCOPES = [
        ("read", _("Consultation seulement")),
        ("mutations", _("Consultation et annonce de mutations")),
    ]

    first_name = forms.CharField(label=_("Prénom"), max_length=100)
    last_name = forms.CharField(label=_("Nom"), max_length=100)
    email = forms.EmailField(label=_("E-mail"), max_length=254,
                             help_text=_("Le code d'enregistrement est envoyé à cette adresse et "
                                         "ne fonctionne qu'avec elle."))
    scope = forms.ChoiceField(label=_("Droits"), choices=SCOPES, widget=forms.RadioSelect,
                              initial="read")
    valid_until = SwissDateField(label=_("Accès valable jusqu'au (facultatif)"), required=False,
                                 help_text=_("Vide : jusqu'à révocation."))

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()

    def clean_valid_until(self):
        value = self.cleaned_data.get("valid_until")
        if value is not None and value < timezone.localdate():
            raise forms.ValidationError(_("Cette date est déjà passée."))
        return value


class AccessChangeForm(forms.Form):
    scope = forms.ChoiceField(label=_("Droits"), choices=InviteForm.SCOPES,
                              widget=forms.RadioSelect)
    valid_until = SwissDateField(label=_("Accès valable jusqu'au (facultatif)"), required=False,
                                 help_text=_("Vide : jusqu'à révocation."))

    clean_valid_until = InviteForm.clean_valid_until


class DeclarationLineForm(forms.Form):
    annual_salary = ChfField(label=_("Salaire annuel (CHF)"))
    employment_degree = PercentField(label=_("Taux (%)"), low=Decimal(1), high=Decimal(100),
                                     decimal_places=2)


DeclarationFormSet = forms.formset_factory(DeclarationLineForm, extra=0)


class DecisionNoteForm(forms.Form):
    """The optional note when declining an access request: a text field like any other (a NUL
    character is refused with Django's message instead of reaching the database)."""

    note = forms.CharField(required=False)

    def clean_note(self) -> str:
        return self.cleaned_data["note"][:1000]
