"""An approved bank-account change stores the account's currency and holder on the person; they
are shown on the personal-data page and are four-eyes fields in the admin."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from policies.models import ChangeRequest, InsuredPerson
from policies.services import change_request_approve, change_request_submit, change_request_validate
from tests import factories as f
from tests.conftest import _make

pytestmark = pytest.mark.django_db
IBAN = "CH9300762011623852957"


def _staff(email: str):
    return _make(f.UserFactory(email=email, is_staff=True, is_superuser=True))


def _approved(person, data: dict) -> ChangeRequest:
    change = change_request_submit(person=person, kind=ChangeRequest.Kind.BANK_ACCOUNT, data=data,
                                   effective_date=date(2026, 12, 1))
    change_request_validate(change=change, by=_staff("first@fund.ch"))
    return change_request_approve(change=change, by=_staff("second@fund.ch"))


def test_an_approved_bank_change_stores_currency_and_holder(terms, insured_person):
    _approved(insured_person, {"iban": IBAN, "currency": "EUR", "holder": "Claire Favre"})
    person = InsuredPerson.objects.get(pk=insured_person.pk)
    assert (person.iban, person.bank_currency, person.bank_account_holder) == (
        IBAN, "EUR", "Claire Favre")


def test_the_old_account_details_are_kept_on_the_request(terms, insured_person):
    InsuredPerson.objects.filter(pk=insured_person.pk).update(
        iban=IBAN, bank_currency="CHF", bank_account_holder="Claire Favre")
    person = InsuredPerson.objects.get(pk=insured_person.pk)
    change = change_request_submit(
        person=person, kind=ChangeRequest.Kind.BANK_ACCOUNT,
        data={"iban": "FR1420041010050500013M02606", "currency": "EUR", "holder": "C. Favre"},
        effective_date=date(2026, 12, 1))
    assert change.previous == {"iban": IBAN, "currency": "CHF", "holder": "Claire Favre"}


def test_a_new_account_without_currency_or_holder_does_not_keep_the_old_ones(
        terms, insured_person):
    InsuredPerson.objects.filter(pk=insured_person.pk).update(
        iban="FR1420041010050500013M02606", bank_currency="EUR", bank_account_holder="Old")
    _approved(insured_person, {"iban": IBAN})  # recorded by support with the IBAN only
    person = InsuredPerson.objects.get(pk=insured_person.pk)
    assert (person.iban, person.bank_currency, person.bank_account_holder) == (IBAN, "", "")


@pytest.mark.parametrize("data,message", [
    ({"currency": "USD"}, "CHF ou EUR"),
    ({"holder": "x" * 141}, "140"),
])
def test_support_cannot_record_an_unusable_currency_or_holder(terms, insured_person, data,
                                                               message):
    with translation.override("fr"), pytest.raises(ValidationError, match=message):
        _approved(insured_person, {"iban": IBAN, "currency": "CHF", "holder": "A", **data})
    person = InsuredPerson.objects.get(pk=insured_person.pk)
    assert (person.iban, person.bank_currency, person.bank_account_holder) == ("", "", "")


def test_the_personal_data_page_shows_holder_and_currency_with_the_masked_iban(as_user,
                                                                               pensioner):
    InsuredPerson.objects.filter(pk=pensioner.insured_person_id).update(
        iban=IBAN, bank_currency="CHF", bank_account_holder="Jean Rentier-Muster")
    body = as_user(pensioner).get(reverse("insured:personal")).content.decode()
    assert "Jean Rentier-Muster" in body and "CHF" in body
    assert "CH93 **** **** 2957" in body
    assert IBAN not in body


def test_the_admin_shows_currency_and_holder_read_only(as_user, support, insured_person):
    InsuredPerson.objects.filter(pk=insured_person.pk).update(
        iban=IBAN, bank_currency="EUR", bank_account_holder="Claire Favre")
    page = as_user(support).get(
        f"/admin/policies/insuredperson/{insured_person.pk}/change/").content.decode()
    assert 'name="bank_currency"' not in page and 'name="bank_account_holder"' not in page
    assert "Claire Favre" in page
