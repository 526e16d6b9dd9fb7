"""Second factor at login: 5 wrong codes per challenge, SMS resend, backup codes."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import BackupCode, OutboxMessage, SecurityEvent
from accounts.services import backup_codes_regenerate
from tests.conftest import LOGIN, post_password, post_token, totp_now, wrong_totp

TOO_MANY = "Vous avez saisi 5 codes incorrects. Ce code n&#x27;est plus accepté"


@pytest.mark.django_db
def test_five_wrong_totp_codes_then_even_the_right_one_is_refused_until_a_new_challenge(
    client, insured
):
    post_password(client, insured.email)
    answers = [post_token(client, wrong_totp(insured)) for _ in range(5)]
    for response in answers[:4]:
        assert "Code incorrect. Vérifiez-le et réessayez." in response.content.decode()
    assert TOO_MANY in answers[4].content.decode()

    sixth = post_token(client, totp_now(insured))
    assert sixth.status_code == 200
    assert TOO_MANY in sixth.content.decode()
    assert SecurityEvent.objects.filter(
        user=insured, kind=SecurityEvent.Kind.FACTOR_FAILURE).count() == 5

    post_password(client, insured.email)  # a new challenge
    assert post_token(client, totp_now(insured)).status_code == 302


def _sms_user(user, number="+41791234567"):
    TOTPDevice.objects.filter(user=user).delete()
    return PhoneDevice.objects.create(user=user, name="default", number=number, method="sms",
                                      confirmed=True)


def _last_code(number="+41791234567") -> str:
    return OutboxMessage.objects.filter(recipient=number).order_by("-pk").first().body[-6:]


@pytest.mark.django_db
def test_five_wrong_sms_codes_then_a_new_sms_is_needed(client, insured):
    _sms_user(insured)
    post_password(client, insured.email)
    code = _last_code()
    wrong = f"{(int(code) + 1) % 1000000:06d}"
    answers = [post_token(client, wrong) for _ in range(5)]
    assert TOO_MANY in answers[4].content.decode()
    assert TOO_MANY in post_token(client, code).content.decode()

    device = PhoneDevice.objects.get(user=insured)
    resend = client.post(LOGIN, {"login_view-current_step": "token",
                                 "challenge_device": device.persistent_id})
    assert "Nous vous avons envoyé un code par SMS" in resend.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == 2
    assert post_token(client, _last_code()).status_code == 302


@pytest.mark.django_db
def test_the_fourth_sms_within_five_minutes_is_refused_with_a_clear_message(client, insured):
    device = _sms_user(insured)
    post_password(client, insured.email)
    for _ in range(2):
        client.post(LOGIN, {"login_view-current_step": "token",
                            "challenge_device": device.persistent_id})
    assert OutboxMessage.objects.filter(channel="sms").count() == 3

    fourth = client.post(LOGIN, {"login_view-current_step": "token",
                                 "challenge_device": device.persistent_id})

    assert fourth.status_code == 200
    assert "Trois codes ont déjà été envoyés à ce numéro" in fourth.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == 3


@pytest.mark.django_db
def test_a_backup_code_logs_in_once_and_is_stored_only_as_a_hash(client, insured):
    codes = backup_codes_regenerate(user=insured)
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = list(BackupCode.objects.values_list("code_hash", flat=True))
    assert not any(code in h or code.replace("-", "") in h for code in codes for h in stored)

    page = post_password(client, insured.email)
    assert "Utiliser un code de secours" in page.content.decode()
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    response = post_token(client, codes[0].upper(), step="backup")
    assert response.status_code == 302
    assert client.get("/insured/").status_code == 200

    again = type(client)()
    post_password(again, insured.email)
    again.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    reused = post_token(again, codes[0], step="backup")
    assert reused.status_code == 200
    assert "Code incorrect" in reused.content.decode()
    assert BackupCode.objects.filter(used_at__isnull=True).count() == 9


@pytest.mark.django_db
def test_five_wrong_backup_codes_block_the_backup_step(client, insured):
    codes = backup_codes_regenerate(user=insured)
    post_password(client, insured.email)
    client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    answers = [post_token(client, "aaaaa-aaaaa", step="backup") for _ in range(5)]
    assert TOO_MANY in answers[4].content.decode()
    assert TOO_MANY in post_token(client, codes[1], step="backup").content.decode()
    assert BackupCode.objects.filter(used_at__isnull=True).count() == 10
