"""Support in admin: reset a lost phone's second factor, unlock a locked login."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django_otp import devices_for_user
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, SecurityEvent, UserSession
from accounts.services import backup_codes_regenerate
from tests.conftest import LOCKED, fail, login_verified, post_password

CHANGELIST = "/admin/accounts/user/"


@pytest.mark.django_db
def test_support_resets_the_second_factor_of_a_lost_phone(client, support, insured):
    PhoneDevice.objects.create(user=insured, name="backup", number="+41791234567",
                               method="sms", confirmed=True)
    backup_codes_regenerate(user=insured)
    victim_session = login_verified(Client(), insured)
    victim_session.get("/profile/")
    login_verified(client, support)

    confirm = client.post(CHANGELIST, {"action": "reset_second_factor",
                                       "_selected_action": [insured.pk]})
    assert confirm.status_code == 200 and 'name="reason"' in confirm.content.decode()
    assert list(devices_for_user(insured))  # nothing happens before the reason is given

    response = client.post(CHANGELIST, {"action": "reset_second_factor", "post": "yes",
                                        "reason": "Téléphone perdu, appel du 3.2.",
                                        "_selected_action": [insured.pk]})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"  # the letter to post
    assert response.content.startswith(b"%PDF")
    assert list(devices_for_user(insured, confirmed=None)) == []
    assert not UserSession.objects.filter(user=insured).exists()
    assert victim_session.get("/profile/").status_code == 302
    event = SecurityEvent.objects.get(user=insured, kind="factor_reset")
    assert event.detail["by"] == support.email
    assert event.detail["reason"] == "Téléphone perdu, appel du 3.2."
    assert OutboxMessage.objects.filter(recipient=insured.email, channel="email").exists()
    # The password alone no longer reaches a portal or a new factor (see test_reenrol).
    post_password(Client(), insured.email)


@pytest.mark.django_db
def test_support_unlocks_a_locked_login(client, support, insured):
    fail(Client(), insured.email, 10)
    assert LOCKED in post_password(Client(), insured.email).content.decode()
    login_verified(client, support)

    client.post(CHANGELIST, {"action": "unlock_login", "_selected_action": [insured.pk]})

    assert not AccessAttempt.objects.exists()
    assert "token-otp_token" in post_password(Client(), insured.email).content.decode()


@pytest.mark.django_db
def test_axes_attempts_are_visible_to_support_in_admin(client, support, insured):
    fail(Client(), insured.email, 10)
    login_verified(client, support)
    response = client.get("/admin/axes/accessattempt/")
    assert response.status_code == 200
    assert insured.email in response.content.decode()


@pytest.mark.django_db
def test_an_unverified_staff_member_cannot_run_the_actions(client, support, insured):
    client.force_login(support, backend="accounts.backends.EmailOrAhvBackend")
    response = client.post(CHANGELIST, {"action": "reset_second_factor", "post": "yes",
                                        "reason": "x", "_selected_action": [insured.pk]})
    assert response.status_code == 302
    assert list(devices_for_user(insured))
