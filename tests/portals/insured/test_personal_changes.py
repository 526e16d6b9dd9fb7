"""Personal-data changes are requests; bank account changes need re-authentication, warn the old
contacts and are applied only after four eyes in admin."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import OutboxMessage
from policies.models import ChangeRequest
from policies.services import (
    FourEyesError,
    change_request_approve,
    change_request_reject,
    change_request_submit,
    change_request_validate,
)
from tests import factories as f
from tests.conftest import login_verified
from tests.portals.insured.conftest import reauthenticate

pytestmark = pytest.mark.django_db
TODAY = date.today().strftime("%d.%m.%Y")
VALID_CH_IBAN = "CH93 0076 2011 6238 5295 7"
QR_IBAN = "CH44 3199 9123 0008 8901 2"
VALID_FR_IBAN = "FR14 2004 1010 0505 0001 3M02 606"


def test_address_change_becomes_a_request_not_a_direct_write(as_user, insured, insured_person):
    client = as_user(insured)
    reauthenticate(client)  # an address change needs the password again
    response = client.post(reverse("insured:change-address"), {
        "street": "Rue du Lac 12", "postcode": "1003", "city": "Lausanne", "country": "CH",
        "effective_date": TODAY})
    change = ChangeRequest.objects.get()
    assert response["Location"] == reverse("insured:change-detail", args=[change.pk])
    assert change.kind == "address" and change.data["city"] == "Lausanne"
    insured_person.refresh_from_db()
    assert insured_person.street != "Rue du Lac 12"
    page = as_user(insured).get(response["Location"]).content.decode()
    assert change.case_number in page and "Rue du Lac 12" in page


@pytest.mark.parametrize("data,field", [
    ({"postcode": "99"}, "postcode"),
    ({"effective_date": "31.02.2026"}, "effective_date"),
    ({"effective_date": (date.today() + timedelta(days=400)).strftime("%d.%m.%Y")},
     "effective_date"),
    ({"street": ""}, "street"),
])
def test_address_change_bad_input_gives_field_messages(as_user, insured, data, field):
    payload = {"street": "Rue du Lac 12", "postcode": "1003", "city": "Lausanne",
               "country": "CH", "effective_date": TODAY, **data}
    client = as_user(insured)
    reauthenticate(client)
    response = client.post(reverse("insured:change-address"), payload)
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert not ChangeRequest.objects.exists()


def test_civil_status_change_with_date(as_user, insured):
    response = as_user(insured).post(reverse("insured:change-civil-status"), {
        "civil_status": "partnership", "effective_date": "15.06.2025"})
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.data == {"civil_status": "partnership"}
    assert change.effective_date == date(2025, 6, 15)


@pytest.mark.parametrize("data,message", [
    ({"effective_date": (date.today() + timedelta(days=3)).strftime("%d.%m.%Y")}, "futur"),
    ({"civil_status": "single"}, "déjà votre état civil"),
    ({"effective_date": "01.01.1980"}, "vérifiez l'année"),
])
def test_civil_status_impossible_dates(as_user, insured, data, message):
    payload = {"civil_status": "married", "effective_date": "15.06.2025", **data}
    response = as_user(insured).post(reverse("insured:change-civil-status"), payload)
    assert message in response.content.decode().replace("&#x27;", "'")


def test_bank_account_is_for_pensioners_only(as_user, insured):
    assert as_user(insured).get(reverse("insured:change-bank-account")).status_code == 403


def test_bank_account_change_needs_reauthentication(as_user, pensioner):
    response = as_user(pensioner).get(reverse("insured:change-bank-account"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("reauth"))


def _bank(client, iban, currency="CHF"):
    return client.post(reverse("insured:change-bank-account"), {
        "holder": "Jean Rentier", "iban": iban, "currency": currency, "effective_date": TODAY})


@pytest.mark.parametrize("iban,message", [
    ("CH93 0076 2011 6238 5295 8", "pas valable"),
    ("CH93 0076", "pas valable"),
    ("hello", "pas valable"),
    (QR_IBAN, "QR-IBAN"),
])
def test_malformed_and_qr_ibans_are_refused(as_user, pensioner, iban, message):
    client = as_user(pensioner)
    reauthenticate(client)
    response = _bank(client, iban)
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["iban"])
    assert not ChangeRequest.objects.exists()


def test_bank_change_warns_old_contacts_and_waits_for_four_eyes(
        as_user, pensioner, django_capture_on_commit_callbacks):
    client = as_user(pensioner)
    reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = _bank(client, VALID_FR_IBAN, currency="EUR")
    assert response.status_code == 302
    change = ChangeRequest.objects.get()
    assert change.data["iban"] == "FR1420041010050500013M02606"
    assert change.data["currency"] == "EUR"
    notice = OutboxMessage.objects.get(user=pensioner, channel="email")
    assert notice.recipient == pensioner.email
    assert "FR14" not in notice.body and "Rentier" not in notice.body
    person = pensioner.insured_person
    person.refresh_from_db()
    assert person.iban == ""


def test_swiss_iban_is_accepted_and_compacted(as_user, pensioner):
    client = as_user(pensioner)
    reauthenticate(client)
    assert _bank(client, VALID_CH_IBAN).status_code == 302
    assert ChangeRequest.objects.get().data["iban"] == "CH9300762011623852957"


@pytest.fixture
def colleagues(db):
    first = f.UserFactory(email="a@support.ch", is_staff=True, is_superuser=True)
    second = f.UserFactory(email="b@support.ch", is_staff=True, is_superuser=True)
    return first, second


@pytest.fixture
def bank_change(pensioner):
    return change_request_submit(person=pensioner.insured_person, kind="bank_account",
                                 data={"iban": "CH9300762011623852957", "holder": "Jean",
                                       "currency": "CHF"},
                                 effective_date=date.today(), submitted_by=pensioner)


def test_four_eyes_the_validator_cannot_approve(bank_change, colleagues):
    first, second = colleagues
    change_request_validate(change=bank_change, by=first)
    with pytest.raises(FourEyesError):
        change_request_approve(change=bank_change, by=first)
    bank_change.refresh_from_db()
    assert bank_change.status == "in_progress"
    change_request_approve(change=bank_change, by=second)
    bank_change.refresh_from_db()
    bank_change.person.refresh_from_db()
    assert bank_change.status == "done" and bank_change.approved_by == second
    assert bank_change.person.iban == "CH9300762011623852957"


def test_four_eyes_nothing_is_applied_without_validation(bank_change, colleagues):
    with pytest.raises(FourEyesError):
        change_request_approve(change=bank_change, by=colleagues[1])


def test_four_eyes_the_recorder_cannot_approve(pensioner, colleagues):
    first, second = colleagues
    change = change_request_submit(person=pensioner.insured_person, kind="address",
                                   data={"city": "Sion"}, effective_date=date.today(),
                                   recorded_by=first)
    change_request_validate(change=change, by=second)
    with pytest.raises(FourEyesError):
        change_request_approve(change=change, by=first)
    with pytest.raises(FourEyesError):
        change_request_approve(change=change, by=second)


def test_rejection_needs_a_reason_and_is_shown(as_user, bank_change, colleagues, pensioner):
    with pytest.raises(ValidationError):
        change_request_reject(change=bank_change, by=colleagues[0], reason=" ")
    change_request_reject(change=bank_change, by=colleagues[0], reason="IBAN d'un tiers.")
    body = as_user(pensioner).get(reverse("insured:change-detail", args=[bank_change.pk])
                                  ).content.decode()
    assert "IBAN d&#x27;un tiers." in body and "Refusée" in body
    assert "CH9300762011623852957" not in body  # masked on the page


def test_four_eyes_in_admin_actions(client, bank_change, colleagues):
    first, second = colleagues
    for user in colleagues:
        f.MembershipFactory  # noqa: B018 - staff need no membership
        from django_otp.plugins.otp_totp.models import TOTPDevice

        TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    url = reverse("admin:policies_changerequest_changelist")
    login_verified(client, first)
    client.post(url, {"action": "validate", "_selected_action": [bank_change.pk]})
    client.post(url, {"action": "approve", "_selected_action": [bank_change.pk]})
    bank_change.refresh_from_db()
    assert bank_change.status == "in_progress" and bank_change.validated_by == first
    client.logout()
    login_verified(client, second)
    client.post(url, {"action": "approve", "_selected_action": [bank_change.pk]})
    bank_change.refresh_from_db()
    assert bank_change.status == "done" and bank_change.approved_by == second


def test_support_records_a_change_in_admin(client, colleagues, insured_person):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    first = colleagues[0]
    TOTPDevice.objects.create(user=first, name="default", confirmed=True)
    login_verified(client, first)
    response = client.post(reverse("admin:policies_changerequest_add"), {
        "person": insured_person.pk, "kind": "address",
        "data": '{"city": "Fribourg"}', "effective_date": date.today().isoformat()})
    assert response.status_code == 302, response.content.decode()[:3000]
    change = ChangeRequest.objects.get()
    assert change.recorded_by == first and change.case_number.startswith("M-")


def test_someone_elses_change_request_is_404(as_user, insured, other_change_request):
    assert as_user(insured).get(
        reverse("insured:change-detail", args=[other_change_request.pk])).status_code == 404


def test_a_second_request_of_the_same_kind_waits_for_the_first(as_user, insured):
    client = as_user(insured)
    reauthenticate(client)
    data = {"street": "Rue du Lac 12", "postcode": "1003", "city": "Lausanne", "country": "CH",
            "effective_date": TODAY}
    client.post(reverse("insured:change-address"), data)
    second = client.post(reverse("insured:change-address"), {**data, "street": "Rue Neuve 3"})
    assert second.status_code == 200
    assert "déjà en cours" in second.content.decode()
    assert ChangeRequest.objects.count() == 1
