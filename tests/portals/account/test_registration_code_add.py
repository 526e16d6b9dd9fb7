"""Someone with an account adds the access a new code grants, without a second account."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Membership, RegistrationCode, SecurityEvent, User, hash_code

pytestmark = pytest.mark.django_db

CODE = "ABCD-EFGH-JKLM"


@pytest.fixture
def employer_code(employer):
    return RegistrationCode.objects.create(
        code_hash=hash_code(CODE), hint=CODE[-4:], kind="employer", role="third_party",
        employer=employer,
    )


def test_a_logged_in_user_adds_a_third_party_access_to_the_same_account(
        as_user, insured, employer_code, employer):
    client = as_user(insured)
    assert client.get(reverse("register-code")).url == reverse("register-code-add")
    response = client.post(reverse("register-code-add"), {"code": CODE.lower()})
    assert response.status_code == 302
    assert User.objects.count() == 1
    membership = Membership.objects.get(user=insured, kind="employer")
    assert membership.employer == employer and membership.role == "third_party"
    employer_code.refresh_from_db()
    assert employer_code.redeemed_by == insured
    assert SecurityEvent.objects.filter(user=insured, kind="code_redeemed").exists()
    assert client.get(reverse("employer:home")).status_code == 200
    assert client.get(reverse("insured:home")).status_code == 200


def test_a_used_code_cannot_be_added_twice(as_user, insured, other_insured, employer_code):
    as_user(insured).post(reverse("register-code-add"), {"code": CODE})
    response = as_user(other_insured).post(reverse("register-code-add"), {"code": CODE})
    assert response.status_code == 200
    assert "pas valable" in response.content.decode()
    assert not Membership.objects.filter(user=other_insured, kind="employer").exists()


def test_an_unknown_code_is_refused_without_a_hint(as_user, insured):
    response = as_user(insured).post(reverse("register-code-add"), {"code": "ZZZZ-ZZZZ-ZZZZ"})
    assert response.status_code == 200
    assert "pas valable" in response.content.decode()


def test_adding_a_code_needs_a_verified_login(client, insured, employer_code):
    response = client.post(reverse("register-code-add"), {"code": CODE})
    assert response.status_code == 302
    assert not Membership.objects.filter(user=insured, kind="employer").exists()
