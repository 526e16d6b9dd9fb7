"""The form fields for Swiss values, one definition each, used by every form of every portal.

Each accepts what people type (1'234.50 or 1 234,50; 31.12.2026 or 1.2.26; an AHV number with or
without dots; an IBAN with spaces; 079 123 45 67 or +41 79 123 45 67), answers a mistake with a
sentence in the user's language, cleans to one canonical value (Decimal, date, "756.1234.5678.97",
"CH9300762011623852957", "+41791234567") and shows a value again in Swiss format.
"""

from __future__ import annotations

import re
from decimal import Decimal

import phonenumbers
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from stdnum.ch import ssn
from stdnum.exceptions import InvalidChecksum
from stdnum.exceptions import ValidationError as StdnumError

from policies import swiss
from policies.validators import normalize_payout_iban

MAX_AMOUNT = Decimal("10000000")  # CHF 10 million: above that it is a typing error


class TelInput(forms.TextInput):
    input_type = "tel"


class _TypedNumberField(forms.DecimalField):
    """A number typed in a text box (a number input would refuse 1'234.50 and spin on scroll):
    `ignored` characters are dropped, a decimal comma is a point, `shown` formats it again."""

    ignored = r"\s"
    shown = staticmethod(swiss.number)

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("widget", forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off"}))
        super().__init__(**kwargs)

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(self.ignored, "", value).replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float) and not isinstance(value, bool):
            return self.shown(value)
        return value


class ChfField(_TypedNumberField):
    """An amount in francs: 1'234.50, 1 234,50, CHF 1234.5; never negative unless `minimum` says
    so, never above CHF 10 million. Shown again as 1'234.50."""

    ignored = r"[\s'’`]|^CHF"
    shown = staticmethod(swiss.amount)

    def __init__(self, *, minimum: Decimal = Decimal(0), **kwargs) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.minimum = minimum
        self.error_messages.update({
            "invalid": _("Saisissez un montant en francs, par exemple 12'500."),
            "max_decimal_places": _("Au plus deux chiffres après la virgule."),
            "max_digits": _("Ce montant est trop élevé."),
            "max_whole_digits": _("Ce montant est trop élevé."),
        })

    def validate(self, value) -> None:
        super().validate(value)
        if value is None:
            return
        if value < self.minimum:
            if self.minimum == 0:
                raise ValidationError(_("Le montant ne peut pas être négatif."), code="negative")
            raise ValidationError(
                _("Le montant doit être d'au moins %(min)s.") % {"min": swiss.chf(self.minimum)},
                code="min_value",
            )
        if value > MAX_AMOUNT:
            raise ValidationError(
                _("Ce montant dépasse %(max)s : vérifiez votre saisie.")
                % {"max": swiss.chf(MAX_AMOUNT)},
                code="max_value",
            )


class PercentField(_TypedNumberField):
    """A percentage as typed (25, 12,5 %), between `low` and `high` (views may narrow `high`
    after construction, e.g. to the plan's maximum). Shown again as 25 or 12.5."""

    ignored = r"[\s%]"

    def __init__(self, *, low: Decimal = Decimal(0), high: Decimal = Decimal(100),
                 **kwargs) -> None:
        kwargs.setdefault("max_digits", 5)
        kwargs.setdefault("decimal_places", 1)
        super().__init__(**kwargs)
        self.low, self.high = low, high
        self.error_messages.update({
            "invalid": _("Saisissez un pourcentage, par exemple 25."),
            "max_decimal_places": _("Au plus un chiffre après la virgule."),
        })

    def validate(self, value) -> None:
        # Runs before the digit-count validators: 150 or 12345 get the range, not "too many
        # digits".
        super().validate(value)
        if value is not None and not self.low <= value <= self.high:
            raise ValidationError(
                _("Saisissez un pourcentage entre %(low)s et %(high)s.")
                % {"low": swiss.number(self.low), "high": swiss.number(self.high)},
                code="range",
            )


class SwissDateField(forms.DateField):
    """A date as people type it: 31.12.2026, 1.2.26, 31/12/2026 or 2026-12-31; shown again as
    31.12.2026. `past=True` (birth dates) reads 12.3.45 as 1945, not 2045."""

    default_error_messages = {
        "invalid": _("Saisissez une date au format JJ.MM.AAAA."),
        "impossible": _("Cette date n'existe pas : vérifiez le jour, le mois et l'année."),
    }

    def __init__(self, *, past: bool = False, **kwargs) -> None:
        kwargs.setdefault("widget", forms.DateInput(
            format="%d.%m.%Y", attrs={"autocomplete": "off", "inputmode": "numeric"}))
        super().__init__(**kwargs)
        self.past = past

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, str):
            try:
                return swiss.parse_day(value, today=timezone.localdate(), past=self.past)
            except swiss.NotADate as error:
                code = "impossible" if error.reason == "day" else "invalid"
                raise ValidationError(self.error_messages[code], code=code) from None
        return super().to_python(value)


class AhvField(forms.CharField):
    """An AHV number (756.1234.5678.97) typed with or without dots; the check digit must match.
    Cleans to the dotted form, the one stored everywhere."""

    default_error_messages = {
        "invalid": _("Numéro AVS invalide. Format attendu : 756.1234.5678.97."),
        "checksum": _("Numéro AVS invalide : le dernier chiffre ne correspond pas. Vérifiez "
                      "chaque chiffre sur votre carte d'assurance."),
    }

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 24)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "autocomplete": "off", "inputmode": "numeric", "spellcheck": "false",
            "placeholder": "756.1234.5678.97"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            return ssn.format(ssn.validate(value))
        except InvalidChecksum:
            raise ValidationError(self.error_messages["checksum"], code="checksum") from None
        except StdnumError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None

    def prepare_value(self, value):
        return swiss.ahv(value) if isinstance(value, str) else value


class IbanField(forms.CharField):
    """The IBAN of an account money is paid to: any valid IBAN, but no QR-IBAN (reserved for QR
    bills). Cleans to the compact form (CH9300762011623852957), shows it in groups of four."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 42)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}))
        super().__init__(**kwargs)

    def to_python(self, value) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        return normalize_payout_iban(value)

    def prepare_value(self, value):
        return swiss.iban(value) if isinstance(value, str) and value else value


class MobileField(forms.CharField):
    """A mobile number for SMS codes: 079 123 45 67, +41 79 123 45 67 or 0041 79 123 45 67.

    Swiss mobiles only, unless `international=True` (second factor and contacts: cross-border
    staff have foreign phones). Cleans to E.164 (+41791234567), shows +41 79 123 45 67.
    """

    default_error_messages = {
        "invalid": _("Numéro de téléphone invalide. Exemple : 079 123 45 67 ou "
                     "+41 79 123 45 67."),
        "not_mobile": _("Ce numéro n'est pas un numéro de téléphone portable : le code est envoyé "
                        "par SMS. Saisissez un numéro de mobile (p. ex. 079 123 45 67)."),
        "not_swiss": _("Saisissez un numéro de mobile suisse, par exemple 079 123 45 67."),
    }
    MOBILE_TYPES = (phonenumbers.PhoneNumberType.MOBILE,
                    phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE)

    def __init__(self, *, international: bool = False, **kwargs) -> None:
        kwargs.setdefault("max_length", 30)
        kwargs.setdefault("widget", TelInput(attrs={"autocomplete": "tel"}))
        super().__init__(**kwargs)
        self.international = international

    def to_python(self, value) -> str:
        value = super().to_python(value)
        if value in self.empty_values:
            return value
        try:
            number = phonenumbers.parse(value, "CH")
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if not self.international and phonenumbers.region_code_for_number(number) != "CH":
            raise ValidationError(self.error_messages["not_swiss"], code="not_swiss")
        if phonenumbers.number_type(number) not in self.MOBILE_TYPES:
            raise ValidationError(self.error_messages["not_mobile"], code="not_mobile")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def prepare_value(self, value):
        return swiss.phone(value) if isinstance(value, str) and value else value
