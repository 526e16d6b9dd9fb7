"""SMS limits: 3 per 5 minutes per number, 10 per 24 hours per account, wherever SMS are sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage
from accounts.services import SmsLimitExceeded, sms_limit_check
from tests.conftest import login_verified, post_password

NUMBER = "+41791234567"


def _sent(user, number, count, minutes_ago):
    for _ in range(count):
        message = OutboxMessage.objects.create(channel="sms", recipient=number, body="x",
                                               user=user)
        OutboxMessage.objects.filter(pk=message.pk).update(
            created_at=timezone.now() - timedelta(minutes=minutes_ago))


@pytest.mark.django_db
def test_three_sms_per_number_in_five_minutes_then_refused(insured):
    _sent(insured, NUMBER, 2, 1)
    sms_limit_check(number=NUMBER, user=insured)  # the third is allowed
    _sent(insured, NUMBER, 1, 1)
    with pytest.raises(SmsLimitExceeded, match="Trois codes"):
        sms_limit_check(number=NUMBER, user=insured)
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(minutes=6))
    sms_limit_check(number=NUMBER, user=insured)


@pytest.mark.django_db
def test_ten_sms_a_day_per_account_then_the_eleventh_is_refused(insured):
    _sent(insured, "+41790000001", 9, 60)
    sms_limit_check(number=NUMBER, user=insured)  # the tenth is allowed
    _sent(insured, "+41790000002", 1, 60)
    with pytest.raises(SmsLimitExceeded, match="10 SMS en 24 heures"):
        sms_limit_check(number=NUMBER, user=insured)
    OutboxMessage.objects.update(created_at=timezone.now() - timedelta(hours=25))
    sms_limit_check(number=NUMBER, user=insured)


@pytest.mark.django_db
def test_the_login_challenge_refuses_the_eleventh_sms_of_the_day(client, insured):
    TOTPDevice.objects.filter(user=insured).delete()
    PhoneDevice.objects.create(user=insured, name="default", number=NUMBER, method="sms",
                               confirmed=True)
    _sent(insured, "+41790000001", 10, 60)
    response = post_password(client, insured.email)
    assert response.status_code == 200
    assert "Vous avez reçu 10 SMS en 24 heures" in response.content.decode()
    assert OutboxMessage.objects.filter(recipient=NUMBER).count() == 0


@pytest.mark.django_db
def test_the_mobile_change_refuses_the_fourth_sms_to_a_number(client, insured):
    login_verified(client, insured)
    session = client.session
    session["reauthenticated_at"] = timezone.now().timestamp()
    session.save()
    _sent(None, NUMBER, 3, 1)
    response = client.post("/profile/mobile/", {"number": "079 123 45 67"})
    assert response.status_code == 200
    assert "Trois codes ont déjà été envoyés" in response.content.decode()
    assert OutboxMessage.objects.filter(recipient=NUMBER).count() == 3


@pytest.mark.django_db
def test_two_factor_phone_setup_past_the_limit_is_a_page_not_a_500(client, terms):
    from tests import factories as f

    user = f.UserFactory()  # no device yet: the first-factor set-up wizard
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    _sent(None, NUMBER, 3, 1)
    url = "/account/two_factor/setup/"
    client.get(url)
    client.post(url, {"setup_view-current_step": "welcome"})
    client.post(url, {"setup_view-current_step": "method", "method-method": "sms"})
    response = client.post(url, {"setup_view-current_step": "sms", "sms-number": NUMBER})
    # two_factor's set-up wizard catches the refusal itself and explains it on the next step.
    assert response.status_code == 200
    assert "pas pu être envoyé" in response.content.decode()
    assert OutboxMessage.objects.filter(recipient=NUMBER).count() == 3
