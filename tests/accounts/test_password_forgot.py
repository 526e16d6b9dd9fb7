"""Forgotten password: e-mail or AHV -> SMS code (or authenticator code) -> new password."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SecurityEvent, VerificationCode
from tests.accounts.test_login import post_password, totp_now
from tests.conftest import login_verified

NUMBER = "+41791234567"
NEW_PASSWORD = "Blue-Meadow-Lantern-42"


@pytest.fixture
def sms_insured(insured):
    PhoneDevice.objects.create(user=insured, name="backup", number=NUMBER, method="sms",
                               confirmed=True)
    return insured


def start(client: Client, login: str):
    return client.post("/password/forgot/", {"login": login})


def sent_code() -> str:
    return OutboxMessage.objects.filter(channel="sms").latest("pk").body[-6:]


def code(client: Client, value: str):
    return client.post("/password/forgot/code/", {"code": value})


def page_text(response) -> str:
    return re.sub(r'value="[^"]*"', "", response.content.decode())


@pytest.mark.django_db
def test_it_resets_the_password_with_the_sms_code_and_ends_every_session(client, sms_insured):
    other_device = login_verified(Client(), sms_insured)
    assert other_device.get("/profile/").status_code == 200

    response = start(client, sms_insured.email)
    assert response.status_code == 302 and response.url == "/password/forgot/code/"
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == NUMBER
    row = VerificationCode.objects.get(purpose="password_reset")
    assert sent_code() not in row.code_hash and row.user == sms_insured

    assert code(client, sent_code()).url == "/password/forgot/new/"
    weak = client.post("/password/forgot/new/", {"new_password1": "12345678",
                                                 "new_password2": "12345678"})
    assert weak.status_code == 200 and "error" in weak.content.decode()
    done = client.post("/password/forgot/new/", {"new_password1": NEW_PASSWORD,
                                                 "new_password2": NEW_PASSWORD})
    assert done.url == "/password/forgot/done/"
    assert "Votre nouveau mot de passe est enregistré" in client.get(done.url).content.decode()

    assert other_device.get("/profile/").status_code == 302
    assert "token-otp_token" in post_password(Client(), sms_insured.email,
                                               NEW_PASSWORD).content.decode()
    event = SecurityEvent.objects.get(user=sms_insured, kind="password_changed")
    assert event.detail["via"] == "reset"
    assert NEW_PASSWORD not in str(event.detail)


@pytest.mark.django_db
def test_the_ahv_number_finds_the_account_too(client, sms_insured):
    start(client, sms_insured.insured_person.ahv_number.replace(".", ""))
    assert OutboxMessage.objects.filter(channel="sms", recipient=NUMBER).count() == 1


@pytest.mark.django_db
def test_an_unknown_user_sees_exactly_the_same_pages(sms_insured):
    known, unknown = Client(), Client()
    a, b = start(known, sms_insured.email), start(unknown, "nobody@example.ch")
    assert (a.status_code, a.url) == (b.status_code, b.url)
    assert page_text(known.get(a.url)) == page_text(unknown.get(b.url))
    assert OutboxMessage.objects.count() == 1
    wrong_known = [code(known, "000000") for _ in range(5)]
    wrong_unknown = [code(unknown, "000000") for _ in range(5)]
    assert [page_text(r) for r in wrong_known] == [page_text(r) for r in wrong_unknown]


@pytest.mark.django_db
def test_five_wrong_codes_then_even_the_right_one_is_refused(client, sms_insured):
    start(client, sms_insured.email)
    right = sent_code()
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    answers = [code(client, wrong) for _ in range(5)]
    assert all("Code incorrect" in r.content.decode() for r in answers[:4])
    assert "Ce code n&#x27;est plus valable" in answers[4].content.decode()
    sixth = code(client, right)
    assert sixth.status_code == 200
    assert "Ce code n&#x27;est plus valable" in sixth.content.decode()
    assert client.get("/password/forgot/new/").status_code == 302


@pytest.mark.django_db
def test_a_code_older_than_ten_minutes_is_refused(client, sms_insured):
    start(client, sms_insured.email)
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = code(client, sent_code())
    assert "Ce code n&#x27;est plus valable" in response.content.decode()


@pytest.mark.django_db
def test_without_a_mobile_the_authenticator_code_is_asked(client, insured):
    start(client, insured.email)
    assert OutboxMessage.objects.count() == 0
    assert code(client, totp_now(insured)).url == "/password/forgot/new/"


@pytest.mark.django_db
@pytest.mark.parametrize("login", ["claire@example.ch", "nobody@example.ch"])
def test_the_fourth_request_within_five_minutes_is_refused_for_known_and_unknown(
    sms_insured, login
):
    client = Client()
    for _ in range(3):
        assert start(client, login).status_code == 302
    fourth = start(client, login)
    assert fourth.status_code == 200
    assert "Trois codes ont déjà été demandés" in fourth.content.decode()


@pytest.mark.django_db
def test_the_new_password_step_needs_a_verified_code(client, insured):
    assert client.get("/password/forgot/new/").url == "/password/forgot/"
    assert client.get("/password/forgot/code/").url == "/password/forgot/"


@pytest.mark.django_db
def test_the_page_says_support_never_resets_by_phone(client):
    body = client.get("/password/forgot/").content.decode()
    assert "nous ne réinitialisons jamais un mot de passe par téléphone" in body


@pytest.mark.django_db
def test_no_code_or_password_lands_in_the_session(client, sms_insured):
    start(client, sms_insured.email)
    sent = sent_code()
    code(client, sent)
    client.post("/password/forgot/new/", {"new_password1": NEW_PASSWORD,
                                          "new_password2": NEW_PASSWORD})
    from accounts.models import PortalSession as Session

    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert sent not in decoded and NEW_PASSWORD not in decoded
    assert TOTPDevice.objects.filter(user=sms_insured).exists()


@pytest.mark.django_db
def test_an_account_at_its_sms_limit_looks_like_an_unknown_login(client, insured):
    from datetime import timedelta

    from django.utils import timezone
    from two_factor.plugins.phonenumber.models import PhoneDevice

    from accounts.models import OutboxMessage

    PhoneDevice.objects.create(user=insured, name="default", number="+41791230000",
                               method="sms", confirmed=True)
    for _ in range(10):  # the account's 10 SMS of the day, spread over the day
        row = OutboxMessage.objects.create(channel="sms", recipient="+41791230000", body="x",
                                           user=insured)
        OutboxMessage.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(hours=2))
    known = client.post("/password/forgot/", {"login": insured.email})
    unknown = Client().post("/password/forgot/", {"login": "nobody@example.ch"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]


@pytest.mark.django_db
def test_a_sixth_reset_in_a_day_leads_nowhere(client, insured):
    from datetime import timedelta

    from django.utils import timezone

    from accounts.models import VerificationCode

    for _ in range(5):  # spread over the day, so the 3-per-5-minutes rule does not apply
        client.post("/password/forgot/", {"login": insured.email})
        VerificationCode.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert VerificationCode.objects.filter(user=insured).count() == 5
    client.post("/password/forgot/", {"login": insured.email})
    sixth = VerificationCode.objects.latest("pk")
    assert sixth.user is None  # a code nobody can use: the account is not reachable today
