"""The Swiss form fields (portals/common/fields.py): what people type, what the form keeps, what
it answers to a mistake, and how a value is shown again."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from django import forms
from django.utils import translation

from portals.common.fields import (
    AhvField,
    ChfField,
    IbanField,
    MobileField,
    PercentField,
    SwissDateField,
)


class Sample(forms.Form):
    amount = ChfField(required=False)
    share = PercentField(required=False, high=Decimal(60))
    day = SwissDateField(required=False)
    birth = SwissDateField(required=False, past=True)
    ahv = AhvField(required=False)
    iban = IbanField(required=False)
    mobile = MobileField(required=False)
    any_mobile = MobileField(required=False, international=True)


def clean(field: str, typed: str):
    form = Sample({field: typed})
    with translation.override("fr"):
        valid = form.is_valid()
        return (form.cleaned_data[field] if valid else None), [
            str(message) for message in form.errors.get(field, [])]


VALUES = [
    ("amount", "1'234.50", Decimal("1234.50")),
    ("amount", "1 234,50", Decimal("1234.50")),
    ("amount", "CHF 12’500", Decimal("12500")),
    ("amount", "0", Decimal("0")),
    ("share", "25", Decimal("25")),
    ("share", "12,5 %", Decimal("12.5")),
    ("day", "31.12.2026", date(2026, 12, 31)),
    ("day", "1.2.26", date(2026, 2, 1)),
    ("day", "01.02.2026", date(2026, 2, 1)),
    ("day", "2026-02-01", date(2026, 2, 1)),
    ("birth", "12.3.58", date(1958, 3, 12)),
    ("birth", "12.03.1958", date(1958, 3, 12)),
    ("ahv", "756.1234.5678.97", "756.1234.5678.97"),
    ("ahv", "7561234567897", "756.1234.5678.97"),
    ("ahv", " 756 1234 5678 97 ", "756.1234.5678.97"),
    ("iban", "ch93 0076 2011 6238 5295 7", "CH9300762011623852957"),
    ("iban", "DE89370400440532013000", "DE89370400440532013000"),
    ("mobile", "079 123 45 67", "+41791234567"),
    ("mobile", "+41 79 123 45 67", "+41791234567"),
    ("mobile", "0041791234567", "+41791234567"),
    ("mobile", "076/123.45.67", "+41761234567"),
    ("any_mobile", "+49 151 23456789", "+4915123456789"),
    ("any_mobile", "079 123 45 67", "+41791234567"),
]


@pytest.mark.parametrize("field,typed,expected", VALUES)
def test_it_reads_what_people_type(field, typed, expected):
    value, errors = clean(field, typed)
    assert errors == []
    assert value == expected


ERRORS = [
    ("amount", "douze", "Saisissez un montant en francs"),
    ("amount", "-5", "ne peut pas être négatif"),
    ("amount", "12.345", "Au plus deux chiffres après la virgule"),
    ("amount", "99999999", "dépasse CHF 10'000'000.00"),
    ("share", "61", "entre 0 et 60"),
    ("share", "123456", "entre 0 et 60"),
    ("share", "abc", "Saisissez un pourcentage"),
    ("day", "31.02.2026", "Cette date n'existe pas"),
    ("day", "1.13.2026", "Cette date n'existe pas"),
    ("day", "01.01.0001", "Cette date n'existe pas"),
    ("day", "demain", "JJ.MM.AAAA"),
    ("day", "2026", "JJ.MM.AAAA"),
    ("ahv", "756.1234.5678.98", "le dernier chiffre ne correspond pas"),
    ("ahv", "7561234567898", "le dernier chiffre ne correspond pas"),
    ("ahv", "756.1234.5678", "Format attendu : 756.1234.5678.97"),
    ("ahv", "123.4567.8901.23", "Format attendu : 756.1234.5678.97"),
    ("iban", "CH93 0076 2011 6238 5295 8", "Cet IBAN n'est pas valable"),
    ("iban", "CH44 3199 9123 0008 8901 2", "QR-IBAN"),
    ("mobile", "021 555 66 80", "n'est pas un numéro de téléphone portable"),
    ("mobile", "+49 151 23456789", "mobile suisse"),
    ("mobile", "079 123", "Numéro de téléphone invalide"),
    ("mobile", "hello", "Numéro de téléphone invalide"),
    ("any_mobile", "+33 1 23 45 67 89", "n'est pas un numéro de téléphone portable"),
]


@pytest.mark.parametrize("field,typed,message", ERRORS)
def test_it_answers_a_mistake_with_a_sentence(field, typed, message):
    value, errors = clean(field, typed)
    assert value is None
    assert len(errors) == 1 and message in errors[0], errors


@pytest.mark.parametrize("language,word", [
    ("de", "existiert nicht"), ("it", "non esiste"), ("en", "does not exist"),
])
def test_the_messages_speak_the_users_language(language, word):
    form = Sample({"day": "31.02.2026"})
    with translation.override(language):
        assert word in form.errors["day"][0]


def test_values_are_shown_again_in_swiss_format():
    form = Sample(initial={
        "amount": Decimal("12500"), "share": Decimal("25.0"), "day": date(2026, 12, 31),
        "ahv": "7561234567897", "iban": "CH9300762011623852957", "mobile": "+41791234567",
    })
    html = unescape(str(form))
    for shown in ["12'500.00", 'value="25"', "31.12.2026", "756.1234.5678.97",
                  "CH93 0076 2011 6238 5295 7", "+41 79 123 45 67"]:
        assert shown in html, shown


def test_a_refused_entry_is_shown_again_as_typed_so_it_can_be_corrected():
    form = Sample({"amount": "douze", "day": "31.02.2026", "ahv": "756.1234.5678.98"})
    assert not form.is_valid()
    html = unescape(str(form))
    assert 'value="douze"' in html and 'value="31.02.2026"' in html
    assert 'value="756.1234.5678.98"' in html


def test_fields_invite_the_right_keyboard_on_phones():
    form = Sample()
    assert form.fields["amount"].widget.attrs["inputmode"] == "decimal"
    assert form.fields["day"].widget.attrs["inputmode"] == "numeric"
    assert form.fields["mobile"].widget.input_type == "tel"
