"""Forgotten password: e-mail or AHV -> code sent to the registered e-mail address -> second
factor (SMS code, authenticator or backup code) -> new password. Two proofs, neither skippable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SecurityEvent, SupportContact, User, VerificationCode
from accounts.services import backup_codes_regenerate
from tests.conftest import PASSWORD, login_verified, post_password, totp_now

NUMBER = "+41791234567"
NEW_PASSWORD = "Blue-Meadow-Lantern-42"


@pytest.fixture
def sms_insured(insured):
    PhoneDevice.objects.create(user=insured, name="backup", number=NUMBER, method="sms",
                               confirmed=True)
    return insured


def start(client: Client, login: str):
    return client.post("/password/forgot/", {"login": login})


def email_code(address: str = "claire@example.ch") -> str:
    body = OutboxMessage.objects.filter(channel="email", recipient=address).latest("pk").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def sms_code() -> str:
    return OutboxMessage.objects.filter(channel="sms").latest("pk").body[-6:]


def code(client: Client, value: str):
    return client.post("/password/forgot/code/", {"code": value})


def factor(client: Client, value: str, *, backup: bool = False):
    url = "/password/forgot/factor/" + ("?use=backup" if backup else "")
    return client.post(url, {"code": value})


def new_password(client: Client, password: str = NEW_PASSWORD):
    return client.post("/password/forgot/new/", {"new_password1": password,
                                                 "new_password2": password})


def other(value: str) -> str:
    return f"{(int(value) + 1) % 1000000:06d}"


def page_text(response) -> str:
    return re.sub(r'value="[^"]*"', "", response.content.decode())


def password_is(user, password: str) -> bool:
    return User.objects.get(pk=user.pk).check_password(password)


@pytest.mark.django_db
def test_it_resets_with_the_email_code_then_the_sms_code_and_ends_every_session(client,
                                                                               sms_insured):
    SupportContact.objects.create(kind="insured", name="Centre clients",
                                  phone="+41 61 277 66 80", email="service@example.ch")
    other_device = login_verified(Client(), sms_insured)
    assert other_device.get("/profile/").status_code == 200

    response = start(client, sms_insured.email)
    assert response.status_code == 302 and response.url == "/password/forgot/code/"
    mail = OutboxMessage.objects.get(channel="email")
    assert mail.recipient == sms_insured.email
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # not before the e-mail
    row = VerificationCode.objects.get(purpose="password_reset")
    assert email_code() not in row.code_hash and row.user == sms_insured

    assert code(client, email_code()).url == "/password/forgot/factor/"
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == NUMBER
    assert factor(client, sms_code()).url == "/password/forgot/new/"
    weak = new_password(client, "12345678")
    assert weak.status_code == 200 and "error" in weak.content.decode()
    done = new_password(client)
    assert done.url == "/password/forgot/done/"
    assert "Votre nouveau mot de passe est enregistré" in client.get(done.url).content.decode()

    assert other_device.get("/profile/").status_code == 302  # every session ended
    assert "token-otp_token" in post_password(Client(), sms_insured.email,
                                               NEW_PASSWORD).content.decode()
    event = SecurityEvent.objects.get(user=sms_insured, kind="password_changed")
    assert event.detail["via"] == "reset"
    assert NEW_PASSWORD not in str(event.detail)
    # Told by e-mail and by SMS, with whom to call.
    notice_mail = OutboxMessage.objects.filter(channel="email").latest("pk")
    notice_sms = OutboxMessage.objects.filter(channel="sms").latest("pk")
    assert "réinitialisé" in notice_mail.body and "+41 61 277 66 80" in notice_mail.body
    assert notice_sms.recipient == NUMBER
    assert "réinitialisé" in notice_sms.body and "+41 61 277 66 80" in notice_sms.body


@pytest.mark.django_db
def test_the_phone_alone_never_resets_the_password(client, sms_insured):
    # The attack of the issue: login known, phone (or SIM swap) in hand, mailbox not.
    start(client, sms_insured.email)
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # nothing to intercept
    for path in ("/password/forgot/factor/", "/password/forgot/new/"):
        assert client.get(path).url == "/password/forgot/"
    assert client.post("/password/forgot/factor/", {"code": "123456"}).url == "/password/forgot/"
    assert new_password(client).url == "/password/forgot/"
    for _ in range(5):
        code(client, other(email_code()))
    assert "plus valable" in code(client, email_code()).content.decode()
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    assert password_is(sms_insured, PASSWORD)


@pytest.mark.django_db
def test_the_mailbox_alone_never_resets_the_password(client, sms_insured):
    start(client, sms_insured.email)
    assert code(client, email_code()).url == "/password/forgot/factor/"
    assert new_password(client).url == "/password/forgot/"  # the factor step is not skippable
    answers = [factor(client, other(sms_code())) for _ in range(5)]
    assert "Code incorrect" in answers[0].content.decode()
    assert "plus valable" in answers[-1].content.decode()
    assert "plus valable" in factor(client, sms_code()).content.decode()
    assert new_password(client).url == "/password/forgot/"
    assert password_is(sms_insured, PASSWORD)


@pytest.mark.django_db
def test_a_finished_reset_cannot_be_replayed(client, sms_insured):
    start(client, sms_insured.email)
    sent = email_code()
    code(client, sent)
    factor(client, sms_code())
    assert new_password(client).url == "/password/forgot/done/"
    assert new_password(client, "Other-Meadow-Lantern-43").url == "/password/forgot/"
    assert code(client, sent).url == "/password/forgot/"
    assert password_is(sms_insured, NEW_PASSWORD)


@pytest.mark.django_db
def test_the_ahv_number_finds_the_account_too(client, sms_insured):
    start(client, sms_insured.insured_person.ahv_number.replace(".", ""))
    assert OutboxMessage.objects.filter(channel="email",
                                        recipient=sms_insured.email).count() == 1


@pytest.mark.django_db
def test_an_unknown_user_sees_exactly_the_same_pages(sms_insured):
    known, unknown = Client(), Client()
    a, b = start(known, sms_insured.email), start(unknown, "nobody@example.ch")
    assert (a.status_code, a.url) == (b.status_code, b.url)
    assert page_text(known.get(a.url)) == page_text(unknown.get(b.url))
    assert OutboxMessage.objects.count() == 1
    wrong_known = [code(known, other(email_code())) for _ in range(5)]
    wrong_unknown = [code(unknown, "000000") for _ in range(5)]
    assert [page_text(r) for r in wrong_known] == [page_text(r) for r in wrong_unknown]


@pytest.mark.django_db
def test_five_wrong_codes_then_even_the_right_one_is_refused(client, sms_insured):
    start(client, sms_insured.email)
    right = email_code()
    answers = [code(client, other(right)) for _ in range(5)]
    assert all("Code incorrect" in r.content.decode() for r in answers[:4])
    assert "Ce code n&#x27;est plus valable" in answers[4].content.decode()
    sixth = code(client, right)
    assert sixth.status_code == 200
    assert "Ce code n&#x27;est plus valable" in sixth.content.decode()
    assert client.get("/password/forgot/factor/").status_code == 302


@pytest.mark.django_db
def test_a_code_older_than_ten_minutes_is_refused(client, sms_insured):
    start(client, sms_insured.email)
    VerificationCode.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    response = code(client, email_code())
    assert "Ce code n&#x27;est plus valable" in response.content.decode()


@pytest.mark.django_db
def test_without_a_mobile_the_authenticator_is_the_second_factor(client, insured):
    start(client, insured.email)
    assert code(client, email_code()).url == "/password/forgot/factor/"
    assert "application d'authentification" in client.get(
        "/password/forgot/factor/").content.decode()
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    assert factor(client, totp_now(insured)).url == "/password/forgot/new/"


@pytest.mark.django_db
def test_a_backup_code_can_stand_in_for_the_second_factor(client, sms_insured):
    codes = backup_codes_regenerate(user=sms_insured)
    start(client, sms_insured.email)
    code(client, email_code())
    page = client.get("/password/forgot/factor/").content.decode()
    assert "?use=backup" in page
    assert "Code incorrect" in factor(client, "aaaaa-bbbbb", backup=True).content.decode()
    assert factor(client, codes[0], backup=True).url == "/password/forgot/new/"
    assert new_password(client).url == "/password/forgot/done/"
    # Single use: the same backup code does not serve a second reset.
    start(Client(), sms_insured.email)
    again = Client()
    start(again, sms_insured.email)
    code(again, email_code())
    assert factor(again, codes[0], backup=True).status_code == 200


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
def test_the_later_steps_need_the_earlier_ones(client, insured):
    assert client.get("/password/forgot/new/").url == "/password/forgot/"
    assert client.get("/password/forgot/factor/").url == "/password/forgot/"
    assert client.get("/password/forgot/code/").url == "/password/forgot/"


@pytest.mark.django_db
def test_the_page_says_support_never_resets_by_phone(client):
    body = client.get("/password/forgot/").content.decode()
    assert "nous ne réinitialisons jamais un mot de passe par téléphone" in body


@pytest.mark.django_db
def test_no_code_or_password_lands_in_the_session(client, sms_insured):
    start(client, sms_insured.email)
    sent = [email_code()]
    code(client, sent[0])
    sent.append(sms_code())
    factor(client, sent[1])
    new_password(client)
    from accounts.models import PortalSession as Session

    for session in Session.objects.all():
        decoded = str(session.get_decoded())
        assert all(value not in decoded for value in sent) and NEW_PASSWORD not in decoded
    assert TOTPDevice.objects.filter(user=sms_insured).exists()


@pytest.mark.django_db
def test_an_account_at_its_email_limit_looks_like_an_unknown_login(client, insured):
    for _ in range(3):  # three code e-mails to this address a minute ago
        OutboxMessage.objects.create(channel="email", recipient=insured.email, body="x",
                                     user=insured,
                                     expires_at=timezone.now() + timedelta(minutes=9))
    known = client.post("/password/forgot/", {"login": insured.email})
    unknown = Client().post("/password/forgot/", {"login": "nobody@example.ch"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert OutboxMessage.objects.count() == 3
    assert VerificationCode.objects.filter(user=insured).count() == 0


@pytest.mark.django_db
def test_the_sms_limit_after_the_email_code_is_said_and_the_app_works(client, sms_insured):
    for _ in range(10):  # the account's 10 SMS of the day, spread over the day
        row = OutboxMessage.objects.create(channel="sms", recipient="+41791230000", body="x",
                                           user=sms_insured)
        OutboxMessage.objects.filter(pk=row.pk).update(
            created_at=timezone.now() - timedelta(hours=2))
    start(client, sms_insured.email)
    response = client.post("/password/forgot/code/", {"code": email_code()}, follow=True)
    assert "10 SMS en 24 heures" in response.content.decode()
    assert OutboxMessage.objects.filter(recipient=NUMBER).count() == 0
    assert factor(client, totp_now(sms_insured)).url == "/password/forgot/new/"


@pytest.mark.django_db
def test_without_a_phone_the_notice_goes_by_email_only(client, insured):
    start(client, insured.email)
    code(client, email_code())
    factor(client, totp_now(insured))
    new_password(client)
    assert not OutboxMessage.objects.filter(channel="sms").exists()
    notice = OutboxMessage.objects.filter(channel="email").latest("pk")
    assert "réinitialisé" in notice.body and "contactez-nous immédiatement" in notice.body


@pytest.mark.django_db
def test_a_sixth_reset_in_a_day_leads_nowhere(client, insured):
    for _ in range(5):  # spread over the day, so the 3-per-5-minutes rules do not apply
        client.post("/password/forgot/", {"login": insured.email})
        for model in (VerificationCode, OutboxMessage):
            model.objects.update(created_at=timezone.now() - timedelta(hours=1))
    assert VerificationCode.objects.filter(user=insured).count() == 5
    client.post("/password/forgot/", {"login": insured.email})
    sixth = VerificationCode.objects.latest("pk")
    assert sixth.user is None  # a code nobody can use: the account is not reachable today
