"""One way to mask a phone number everywhere a person sees it: "+41 79 *** ** 67"."""

from __future__ import annotations

import pytest
from django.test import Client
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage
from accounts.services import mask_number
from tests.conftest import PASSWORD, login_verified, reauthed

pytestmark = pytest.mark.django_db

NUMBER = "+41791234567"
MASKED = "+41 79 *** ** 67"


def test_the_service_masks_like_the_swiss_formats():
    assert mask_number(NUMBER) == MASKED


def test_the_login_sms_step_masks_the_number_the_same_way(insured):
    insured.totpdevice_set.all().delete()
    PhoneDevice.objects.create(user=insured, name="default", number=NUMBER, method="sms",
                               confirmed=True)
    client = Client()
    response = client.post("/account/login/", {
        "login_view-current_step": "auth", "auth-username": insured.email,
        "auth-password": PASSWORD})
    body = response.content.decode()
    assert MASKED in body
    assert "1234567" not in body


def test_the_profile_pages_mask_the_number_the_same_way(client, insured):
    device = PhoneDevice.objects.create(user=insured, name="backup", number=NUMBER,
                                        method="sms", confirmed=True)
    login_verified(client, insured)
    body = client.get("/profile/").content.decode()
    assert body.count(MASKED) == 2  # the login data and the second factors
    assert "123 45 67" not in body
    reauthed(client)
    assert MASKED in client.get(f"/profile/factors/sms/{device.pk}/remove/").content.decode()
    assert MASKED in client.get("/profile/mobile/").content.decode()


def test_the_message_about_a_new_mobile_masks_it_the_same_way(client, insured):
    login_verified(client, insured)
    reauthed(client)
    client.post("/profile/mobile/", {"number": NUMBER})
    code = OutboxMessage.objects.filter(recipient=NUMBER).latest("pk").body[-6:]
    client.post("/profile/mobile/confirm/", {"code": code})
    notices = OutboxMessage.objects.filter(recipient=insured.email).values_list("body", flat=True)
    assert any(MASKED in body for body in notices)
