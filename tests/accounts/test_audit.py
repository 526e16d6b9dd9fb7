"""Security events (who, what, when, IP, browser) and what must never be written anywhere."""

from __future__ import annotations

import logging
import time

import pytest
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PortalSession as Session
from accounts.models import SecurityEvent
from tests.conftest import (
    PASSWORD,
    fail,
    login_verified,
    post_password,
    post_token,
    totp_now,
    wrong_totp,
)

UA = "Mozilla/5.0 (Test) Chromium"


@pytest.mark.django_db
def test_login_factor_and_failure_events_carry_ip_and_browser(insured):
    client = Client(HTTP_USER_AGENT=UA, REMOTE_ADDR="203.0.113.7")
    post_password(client, insured.email, "wrong")
    post_password(client, insured.email)
    post_token(client, wrong_totp(insured))
    post_token(client, totp_now(insured))
    events = SecurityEvent.objects.filter(user=insured).exclude(kind="device_added")
    kinds = list(events.order_by("created_at", "pk").values_list("kind", flat=True))
    assert kinds == ["login_failure", "factor_failure", "login_success", "factor_success"]
    for event in events:
        assert (event.ip_address, event.user_agent) == ("203.0.113.7", UA)


@pytest.mark.django_db
def test_lockout_is_recorded_once_per_lock(insured):
    fail(Client(), insured.email, 12)
    assert SecurityEvent.objects.filter(user=insured, kind="lockout").count() == 1


@pytest.mark.django_db
def test_a_device_set_up_in_the_wizard_is_recorded(insured):
    before = SecurityEvent.objects.filter(user=insured, kind="device_added").count()
    TOTPDevice.objects.create(user=insured, name="other", confirmed=True)
    after = SecurityEvent.objects.filter(user=insured, kind="device_added").count()
    assert after == before + 1


@pytest.mark.django_db
def test_no_password_code_or_ahv_number_in_events_sessions_or_logs(insured, caplog):
    caplog.set_level(logging.DEBUG)
    ahv = insured.insured_person.ahv_number
    client = Client()
    post_password(client, ahv, "wrong-" + PASSWORD)
    post_password(client, ahv.replace(".", ""))
    code = totp_now(insured)
    post_token(client, code)
    client.post("/password/forgot/", {"login": ahv})
    written = [str(e.detail) + e.user_agent for e in SecurityEvent.objects.all()]
    written += [str(s.get_decoded()) for s in Session.objects.all()]
    written += [record.getMessage() for record in caplog.records]
    from axes.models import AccessAttempt, AccessLog

    written += [str(a.__dict__) for a in AccessAttempt.objects.all()]
    written += [str(a.__dict__) for a in AccessLog.objects.all()]
    blob = "\n".join(written)
    for secret in [PASSWORD, code, ahv, ahv.replace(".", "")]:
        assert secret not in blob


POSTS = [
    "/account/login/", "/account/confirm/", "/password/forgot/", "/password/forgot/code/",
    "/password/forgot/new/", "/profile/password/", "/profile/email/", "/profile/email/confirm/",
    "/profile/mobile/", "/profile/mobile/confirm/", "/profile/factors/authenticator/",
    "/profile/factors/authenticator/{pk}/remove/", "/profile/backup-codes/", "/profile/sessions/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", POSTS)
def test_every_post_view_refuses_a_post_without_csrf_token(insured, path):
    client = Client(enforce_csrf_checks=True)
    login_verified(client, insured)
    session = client.session
    session["reauthenticated_at"] = time.time()
    session.save()
    pk = TOTPDevice.objects.get(user=insured).pk
    response = client.post(path.format(pk=pk), {"code": "123456"})
    assert response.status_code == 403
