"""Forms of the insured portal: they validate, answer in the user's language, and map the
engine's field errors and reason codes to plain sentences."""

from __future__ import annotations

import re
from datetime import date, timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policies.countries import COUNTRIES
from policies.models import InsuredPerson
from policies.swiss import chf, day, iban, number
from portals.common.fields import ChfField, IbanField, PercentField, SwissDateField
from simulations import engine


def _today() -> date:
    return timezone.localdate()


# --- simulations ---------------------------------------------------------------------------------

ENGINE_FIELD_MESSAGES = {
    "retirement_age": _("Cet âge de retraite n'est pas possible selon votre règlement."),
    "lump_sum_share": _("Cette part en capital n'est pas possible selon votre règlement."),
    "requested_amount": _("Ce montant n'est pas possible."),
    "vested_benefit_at_50": _("Indiquez votre avoir à 50 ans."),
    "amount": _("Ce montant n'est pas possible."),
    "date": _("Cette date n'est pas possible."),
}


def add_engine_errors(form: forms.Form, error: engine.SimulationError,
                      field_map: dict[str, str] | None = None) -> None:
    """The engine names its input fields; show a sentence on the matching form field."""
    field_map = field_map or {}
    for name in error.errors:
        target = field_map.get(name, name)
        message = ENGINE_FIELD_MESSAGES.get(name, _(
            "La simulation n'est pas possible avec ces données. Contactez-nous si le problème "
            "persiste."))
        if isinstance(error, engine.UnknownYearError):
            message = _("Les paramètres LPP de cette année ne sont pas encore publiés.")
            target = None
        form.add_error(target if target in form.fields else None, message)


class RetirementForm(forms.Form):
    retirement_age = forms.IntegerField(
        label=_("À quel âge souhaitez-vous prendre votre retraite ?"),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={"invalid": _("Saisissez un âge en années, par exemple 64.")},
    )
    lump_sum_percent = PercentField(
        label=_("Part de votre avoir à recevoir en capital (%)"), required=False,
        help_text=_("0 % : tout en rente. Le reste de votre avoir est versé sous forme de rente "
                    "à vie."),
    )

    def __init__(self, *args, person: InsuredPerson, plan: engine.Plan, year: int, **kwargs):
        super().__init__(*args, **kwargs)
        self.plan, self.age = plan, year - person.birth_date.year
        self.earliest = max(plan.earliest_retirement_age, self.age)
        age_field = self.fields["retirement_age"]
        age_field.help_text = _("Selon votre règlement : entre %(min)s et %(max)s ans.") % {
            "min": self.earliest, "max": plan.latest_retirement_age}
        age_field.widget.attrs.update(min=self.earliest, max=plan.latest_retirement_age)
        high = plan.max_lump_sum_share * 100
        percent = self.fields["lump_sum_percent"]
        percent.high = high
        percent.help_text = _("Entre 0 et %(max)s %%. 0 %% : tout en rente à vie.") % {
            "max": number(high)}

    def clean_retirement_age(self):
        age = self.cleaned_data["retirement_age"]
        if not self.plan.earliest_retirement_age <= age <= self.plan.latest_retirement_age:
            raise forms.ValidationError(
                _("Votre règlement permet une retraite entre %(min)s et %(max)s ans.")
                % {"min": self.plan.earliest_retirement_age,
                   "max": self.plan.latest_retirement_age}
            )
        if age < self.age:
            raise forms.ValidationError(
                _("Vous avez déjà %(age)s ans : choisissez un âge à partir de %(age)s ans.")
                % {"age": self.age}
            )
        return age

    def engine_values(self) -> dict:
        percent = self.cleaned_data.get("lump_sum_percent") or Decimal(0)
        return {"retirement_age": self.cleaned_data["retirement_age"],
                "lump_sum_share": (percent / 100).quantize(Decimal("0.001"))}


class BuyInForm(forms.Form):
    amount = ChfField(
        label=_("Montant que vous envisagez de racheter (CHF)"), required=False,
        help_text=_("Laissez vide pour connaître seulement le rachat maximal."),
    )
    pillar3a_balance = ChfField(
        label=_("Votre avoir actuel du pilier 3a (CHF)"), required=False,
        help_text=_("Un avoir 3a élevé peut réduire le rachat possible. Laissez vide si vous "
                    "n'en avez pas."),
    )
    wef_outstanding = ChfField(
        label=_("Versement anticipé pour le logement non remboursé (CHF)"), required=False,
        help_text=_("Un tel versement doit être remboursé avant tout rachat."),
    )
    marginal_tax_rate = PercentField(
        label=_("Votre taux marginal d'imposition (%)"), required=False, high=Decimal(60),
        help_text=_("Pour estimer l'économie d'impôt. Votre dernier avis de taxation ou votre "
                    "fiduciaire vous l'indique ; souvent entre 20 et 40 %."),
    )

    def engine_values(self) -> dict:
        data = self.cleaned_data
        rate = data.get("marginal_tax_rate")
        return {
            "amount": data.get("amount"),
            "pillar3a_balance": data.get("pillar3a_balance") or Decimal(0),
            "wef_outstanding": data.get("wef_outstanding") or Decimal(0),
            "marginal_tax_rate": None if rate is None else (rate / 100).quantize(
                Decimal("0.0001")),
        }

    def add_result_errors(self, result: dict) -> None:
        if result["blocked_reason"] == engine.WEF_OUTSTANDING:
            self.add_error("wef_outstanding", _(
                "Tant qu'un versement anticipé pour le logement n'est pas remboursé, aucun "
                "rachat n'est possible : remboursez-le d'abord."))
        elif engine.EXCEEDS_MAXIMUM in result["reasons"]:
            self.add_error("amount", _(
                "Ce montant dépasse le rachat maximal possible de %(max)s.")
                % {"max": chf(result["max_buy_in"])})


WEF_REASONS = {
    engine.TOO_CLOSE_TO_RETIREMENT: ("withdrawal_date", _(
        "Un versement anticipé n'est plus possible dans les %(years)s ans qui précèdent l'âge de "
        "la retraite. Dernière date possible : %(latest)s.")),
    engine.FIVE_YEAR_RULE: ("last_withdrawal_date", _(
        "Un nouveau versement anticipé n'est possible que 5 ans après le précédent.")),
    engine.BELOW_MINIMUM: ("amount", _(
        "Le montant minimal d'un versement anticipé est de CHF 20'000.")),
    "exceeds_maximum": ("amount", _(
        "Ce montant dépasse le maximum disponible de %(max)s.")),
}


class WefForm(forms.Form):
    amount = ChfField(label=_("Montant souhaité (CHF)"), minimum=Decimal("0.01"))
    withdrawal_date = SwissDateField(
        label=_("Date souhaitée du versement"),
        help_text=_("Au format JJ.MM.AAAA, par exemple 31.12.2026."),
    )
    purpose = forms.ChoiceField(
        label=_("Dans quel but ?"),
        choices=[(engine.OWNERSHIP, _("Acheter, construire ou rénover mon logement, ou "
                                      "rembourser son hypothèque")),
                 (engine.COOPERATIVE, _("Acheter des parts d'une coopérative d'habitation"))],
        widget=forms.RadioSelect, initial=engine.OWNERSHIP,
    )
    vested_benefit_at_50 = ChfField(
        label=_("Votre avoir de vieillesse à 50 ans (CHF)"), required=False,
        help_text=_("Il figure sur votre certificat de l'année de vos 50 ans. Si vous ne le "
                    "connaissez pas, nous calculons avec la moitié de votre avoir actuel."),
    )
    last_withdrawal_date = SwissDateField(
        label=_("Date de votre dernier versement anticipé"), required=False,
        help_text=_("Seulement si vous en avez déjà reçu un."),
    )
    spouse_consent = forms.BooleanField(
        label=_("Mon conjoint ou partenaire enregistré·e est d'accord et signera la demande."),
        required=False,
    )

    def __init__(self, *args, person: InsuredPerson, plan: engine.Plan, **kwargs):
        super().__init__(*args, **kwargs)
        self.person, self.plan = person, plan
        self.needs_consent = person.civil_status in (
            InsuredPerson.CivilStatus.MARRIED, InsuredPerson.CivilStatus.PARTNERSHIP)
        if not self.needs_consent:
            del self.fields["spouse_consent"]
        if _age_on(person.birth_date, _today()) < 50:
            del self.fields["vested_benefit_at_50"]

    def clean_withdrawal_date(self):
        day = self.cleaned_data["withdrawal_date"]
        today = _today()
        if day < today:
            raise forms.ValidationError(_("Cette date est passée : choisissez une date à partir "
                                          "d'aujourd'hui."))
        if day > today + timedelta(days=10 * 366):
            raise forms.ValidationError(_("Choisissez une date dans les 10 prochaines années."))
        return day

    def clean_last_withdrawal_date(self):
        day = self.cleaned_data.get("last_withdrawal_date")
        if day is not None:
            if day > _today():
                raise forms.ValidationError(_("Cette date ne peut pas être dans le futur."))
            if day < self.person.birth_date:
                raise forms.ValidationError(_("Cette date est antérieure à votre naissance."))
        return day

    def clean_spouse_consent(self):
        if self.needs_consent and not self.cleaned_data.get("spouse_consent"):
            raise forms.ValidationError(_(
                "Un versement anticipé demande l'accord écrit de votre conjoint ou partenaire "
                "enregistré·e : cochez la case pour continuer."))
        return True

    def engine_values(self) -> dict:
        data = self.cleaned_data
        return {
            "amount": data["amount"], "withdrawal_date": data["withdrawal_date"],
            "purpose": data["purpose"],
            "vested_benefit_at_50": data.get("vested_benefit_at_50") or Decimal(0),
            "last_withdrawal_date": data.get("last_withdrawal_date"),
        }

    def add_result_errors(self, result: dict) -> None:
        for reason in result["reasons"]:
            field, message = WEF_REASONS.get(reason, (None, _(
                "Ce versement anticipé n'est pas possible.")))
            text = message % {
                "years": self.plan.wef_cutoff_years,
                "latest": day(date.fromisoformat(result["latest_withdrawal_date"])),
                "max": chf(result["max_withdrawal"]),
            } if "%(" in str(message) else message
            self.add_error(field if field in self.fields else None, text)


def _age_on(birth: date, on: date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


# --- personal data changes -----------------------------------------------------------------------

class EffectiveDateMixin:
    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        today = _today()
        if day > today + timedelta(days=183):
            raise forms.ValidationError(_("Annoncez le changement au plus 6 mois à l'avance."))
        if day < today - timedelta(days=366):
            raise forms.ValidationError(_("Cette date remonte à plus d'un an : appelez-nous."))
        return day


class AddressForm(EffectiveDateMixin, forms.Form):
    street = forms.CharField(label=_("Rue et numéro"), max_length=200,
                             widget=forms.TextInput(attrs={"autocomplete": "street-address"}))
    postcode = forms.CharField(label=_("NPA"), max_length=10,
                               widget=forms.TextInput(attrs={"autocomplete": "postal-code",
                                                             "inputmode": "numeric"}))
    city = forms.CharField(label=_("Localité"), max_length=100,
                           widget=forms.TextInput(attrs={"autocomplete": "address-level2"}))
    country = forms.ChoiceField(label=_("Pays"), choices=COUNTRIES, initial="CH")
    effective_date = SwissDateField(label=_("Date du déménagement"),
                                    help_text=_("Au format JJ.MM.AAAA."))

    def clean(self):
        data = super().clean()
        postcode = (data.get("postcode") or "").strip()
        if data.get("country") in ("CH", "LI") and postcode and not re.fullmatch(
                r"[1-9]\d{3}", postcode):
            self.add_error("postcode", _("Un NPA suisse a 4 chiffres, par exemple 1003."))
        return data


class CivilStatusForm(forms.Form):
    civil_status = forms.ChoiceField(
        label=_("Nouvel état civil"),
        choices=[(c, label) for c, label in InsuredPerson.CivilStatus.choices],
    )
    effective_date = SwissDateField(
        label=_("Date de l'événement (mariage, partenariat, divorce, décès du conjoint)"),
        help_text=_("Au format JJ.MM.AAAA."),
    )

    def __init__(self, *args, person: InsuredPerson, **kwargs):
        super().__init__(*args, **kwargs)
        self.person = person

    def clean_civil_status(self):
        status = self.cleaned_data["civil_status"]
        if status == self.person.civil_status:
            raise forms.ValidationError(_("C'est déjà votre état civil actuel."))
        return status

    def clean_effective_date(self):
        day = self.cleaned_data["effective_date"]
        if day > _today():
            raise forms.ValidationError(_(
                "Cette date est dans le futur : annoncez l'événement une fois qu'il a eu lieu."))
        if _age_on(self.person.birth_date, day) < 16:
            raise forms.ValidationError(_("Cette date n'est pas possible : vérifiez l'année."))
        return day


class BankAccountForm(EffectiveDateMixin, forms.Form):
    # 140: what the person's record holds (policies InsuredPerson.bank_account_holder).
    holder = forms.CharField(label=_("Titulaire du compte"), max_length=140,
                             widget=forms.TextInput(attrs={"autocomplete": "name"}))
    iban = IbanField(
        label=_("IBAN"),
        help_text=_("Par exemple CH93 0076 2011 6238 5295 7. Un QR-IBAN (pour les factures) "
                    "ne convient pas."),
    )
    currency = forms.ChoiceField(label=_("Monnaie du compte"),
                                 choices=[("CHF", "CHF"), ("EUR", "EUR")], initial="CHF",
                                 widget=forms.RadioSelect)
    effective_date = SwissDateField(label=_("À partir du versement du"),
                                    help_text=_("Au format JJ.MM.AAAA."))

    def formatted_iban(self) -> str:
        return iban(self.cleaned_data["iban"])

