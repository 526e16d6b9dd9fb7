"""Shared fixtures and steps for the registration tests (no tests here)."""

from __future__ import annotations

import re
from binascii import unhexlify
from datetime import date

import pytest
from django_otp.oath import totp

from accounts import registration as reg
from accounts.models import Membership, OutboxMessage
from tests import factories as f

STRONG = "Velo-Rouge-2024!"


@pytest.fixture
def person(db):
    person = f.InsuredPersonFactory(first_name="Marie", last_name="Dupont",
                                    birth_date=date(1961, 4, 12))
    return person


@pytest.fixture
def issued(person, terms):
    return reg.registration_code_issue(
        kind=Membership.Kind.INSURED, role=Membership.Role.INSURED, insured_person=person,
        created_by=None,
    )


def identify(client, person, code: str, **extra):
    return client.post("/register/", {
        "ahv_number": person.ahv_number.replace(".", ""),
        "birth_date": person.birth_date.strftime("%d.%m.%Y"),
        "code": code,
        "accept_terms": "on",
    }, **extra)


def user_data(client, email="marie@example.ch", password=STRONG):
    return client.post("/register/user/", {"email": email, "password1": password,
                                           "password2": password})


def last_email_code(email="marie@example.ch") -> str:
    message = OutboxMessage.objects.filter(channel="email", recipient=email).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def last_sms_code(number="+41791234567") -> str:
    message = OutboxMessage.objects.filter(channel="sms", recipient=number).first()
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def current_totp(client) -> str:
    key = client.session["registration"]["factor_key"]
    return f"{totp(unhexlify(key)):06d}"


def walk_to_factor(client, person, code, email="marie@example.ch"):
    assert identify(client, person, code).status_code == 302
    assert user_data(client, email).status_code == 302
    response = client.post("/register/email/", {"code": last_email_code(email)})
    assert response.status_code == 302 and response["Location"] == "/register/factor/"
    return response
