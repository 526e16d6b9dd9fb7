"""Support staff rights in the admin: what a colleague with limited permissions cannot do."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth.models import Permission

from policies.models import ChangeRequest, InsuredPerson
from policies.services import (
    FourEyesError,
    change_request_approve,
    change_request_submit,
    change_request_validate,
)
from tests import factories as f
from tests.conftest import _make, login_verified

pytestmark = pytest.mark.django_db


def _staff(email: str, *codenames: str):
    user = f.UserFactory(email=email, is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__in=codenames))
    return _make(user)


def test_a_colleague_who_edits_accounts_cannot_make_himself_superuser(client, terms):
    clerk = _staff("clerk@fund.ch", "view_user", "change_user")
    login_verified(client, clerk)
    page = client.get(f"/admin/accounts/user/{clerk.pk}/change/")
    assert page.status_code == 200
    assert 'name="is_superuser"' not in page.content.decode()
    client.post(f"/admin/accounts/user/{clerk.pk}/change/", {
        "email": clerk.email, "first_name": "", "last_name": "", "language": "fr",
        "is_active": "on", "is_staff": "on", "is_superuser": "on",
        "date_joined_0": "01.01.2026", "date_joined_1": "08:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    clerk.refresh_from_db()
    assert not clerk.is_superuser


def test_view_only_staff_cannot_approve_a_change_through_an_action(client, terms, insured_person):
    viewer = _staff("viewer@fund.ch", "view_changerequest")
    change = change_request_submit(person=insured_person, kind="bank_account",
                                   data={"iban": "CH9300762011623852957"},
                                   effective_date=date(2026, 12, 1))
    login_verified(client, viewer)
    client.post("/admin/policies/changerequest/", {
        "action": "validate", "_selected_action": [change.pk]})
    change.refresh_from_db()
    assert change.status == "received"


def test_the_admin_form_cannot_change_an_iban_directly(as_user, support, insured_person):
    client = as_user(support)
    page = client.get(f"/admin/policies/insuredperson/{insured_person.pk}/change/").content
    assert b'name="iban"' not in page
    assert b'name="street"' not in page


def test_nobody_checks_a_change_of_his_own_data(terms, insured_person):
    first = _staff("first@fund.ch")
    own = _staff("own@fund.ch")
    own.insured_person = insured_person
    own.save()
    change = change_request_submit(person=insured_person, kind="bank_account",
                                   data={"iban": "CH9300762011623852957"},
                                   effective_date=date(2026, 12, 1), submitted_by=own)
    with pytest.raises(FourEyesError):
        change_request_validate(change=change, by=own)
    change_request_validate(change=change, by=first)
    with pytest.raises(FourEyesError):
        change_request_approve(change=change, by=own)
    assert InsuredPerson.objects.get(pk=insured_person.pk).iban == ""


def test_a_request_applies_only_the_fields_of_its_kind(terms, insured_person):
    first, second = _staff("a@fund.ch"), _staff("b@fund.ch")
    change = change_request_submit(person=insured_person, kind=ChangeRequest.Kind.ADDRESS,
                                   data={"street": "Rue Neuve 1", "iban": "CH4431999123000889012"},
                                   effective_date=date(2026, 12, 1))
    change_request_validate(change=change, by=first)
    change_request_approve(change=change, by=second)
    person = InsuredPerson.objects.get(pk=insured_person.pk)
    assert person.street == "Rue Neuve 1"
    assert person.iban == ""


def test_a_qr_iban_recorded_in_the_admin_is_refused_at_approval(terms, insured_person):
    from django.core.exceptions import ValidationError

    first, second = _staff("c@fund.ch"), _staff("d@fund.ch")
    change = change_request_submit(person=insured_person, kind=ChangeRequest.Kind.BANK_ACCOUNT,
                                   data={"iban": "CH44 3199 9123 0008 8901 2"},
                                   effective_date=date(2026, 12, 1), recorded_by=first)
    change_request_validate(change=change, by=second)
    third = _staff("e@fund.ch", "approve_bank_change")  # a supervisor's right
    with pytest.raises(ValidationError, match="QR-IBAN"):
        change_request_approve(change=change, by=third)
    assert InsuredPerson.objects.get(pk=insured_person.pk).iban == ""
