"""Replay: a one-time code that did its work is refused when typed again, for every kind of code.

Each test uses the code, then puts the server-side state back where it pointed at that code
(as an attacker replaying the step would need) and types the same code again."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.models import OutboxMessage, User
from tests.conftest import identify, login_verified, reauthed, user_data

pytestmark = pytest.mark.django_db

NUMBER = "+41791234567"
NO_LONGER_VALID = "n&#x27;est plus valable"


def _code_to(recipient: str) -> str:
    body = OutboxMessage.objects.filter(recipient=recipient).latest("pk").body
    return re.search(r"\b(\d{6})\b", body).group(1)


def _restore(client: Client, key: str, value) -> None:
    session = client.session
    session[key] = value
    session.save()


def test_a_used_registration_email_code_is_refused(client, person, issued):
    identify(client, person, issued.plain)
    user_data(client)
    code = _code_to("marie@example.ch")
    state = dict(client.session["registration"])
    assert client.post("/register/email/", {"code": code})["Location"] == "/register/factor/"
    _restore(client, "registration", state)  # the wizard as it was before the code
    again = client.post("/register/email/", {"code": code})
    assert again.status_code == 200 and NO_LONGER_VALID in again.content.decode()
    assert client.get("/register/factor/")["Location"] == "/register/email/"


def test_a_used_email_change_code_is_refused(insured):
    me = reauthed(login_verified(Client(), insured))
    me.post("/profile/email/", {"email": "claire.new@example.ch"})
    code, row_id = _code_to("claire.new@example.ch"), me.session["email_change_code"]
    assert me.post("/profile/email/confirm/", {"code": code}).url == "/profile/"
    User.objects.filter(pk=insured.pk).update(email="claire@example.ch")
    _restore(me, "email_change_code", row_id)
    again = me.post("/profile/email/confirm/", {"code": code})
    assert again.status_code == 200 and NO_LONGER_VALID in again.content.decode()
    assert User.objects.get(pk=insured.pk).email == "claire@example.ch"


def test_a_used_mobile_change_code_is_refused(insured):
    me = reauthed(login_verified(Client(), insured))
    me.post("/profile/mobile/", {"number": NUMBER})
    code, row_id = _code_to(NUMBER), me.session["mobile_change_code"]
    assert me.post("/profile/mobile/confirm/", {"code": code}).url == "/profile/"
    PhoneDevice.objects.filter(user=insured).delete()
    _restore(me, "mobile_change_code", row_id)
    again = me.post("/profile/mobile/confirm/", {"code": code})
    assert again.status_code == 200 and NO_LONGER_VALID in again.content.decode()
    assert not PhoneDevice.objects.filter(user=insured).exists()


@pytest.fixture
def sms_insured(insured):
    PhoneDevice.objects.create(user=insured, name="backup", number=NUMBER, method="sms",
                               confirmed=True)
    return insured


def test_a_used_password_reset_email_code_is_refused(client, sms_insured):
    client.post("/password/forgot/", {"login": sms_insured.email})
    code, state = _code_to(sms_insured.email), client.session["password_reset"]
    assert client.post("/password/forgot/code/", {"code": code}).url == (
        "/password/forgot/factor/")
    _restore(client, "password_reset", state)
    again = client.post("/password/forgot/code/", {"code": code})
    assert again.status_code == 200 and NO_LONGER_VALID in again.content.decode()
    assert OutboxMessage.objects.filter(channel="sms").count() == 1  # no second SMS code


def test_a_used_password_reset_sms_code_is_refused(client, sms_insured):
    client.post("/password/forgot/", {"login": sms_insured.email})
    client.post("/password/forgot/code/", {"code": _code_to(sms_insured.email)})
    code, state = _code_to(NUMBER), client.session["password_reset"]
    assert client.post("/password/forgot/factor/", {"code": code}).url == (
        "/password/forgot/new/")
    _restore(client, "password_reset", state)
    again = client.post("/password/forgot/factor/", {"code": code})
    assert again.status_code == 200 and NO_LONGER_VALID in again.content.decode()
    assert client.get("/password/forgot/new/").url == "/password/forgot/"
