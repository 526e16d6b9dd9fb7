"""A code e-mailed to an address opens an account (or adds access) only for that address.

Whoever gets hold of someone else's code cannot register it under their own e-mail; codes
without an address (insured persons' letters, some third-party codes) are unaffected.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.hashers import make_password
from django.urls import reverse

from accounts import registration as reg
from accounts.models import Membership, OutboxMessage, RegistrationCode, User
from tests.conftest import STRONG, current_totp, last_email_code

pytestmark = pytest.mark.django_db

OTHER_ADDRESS = "Ce code a été envoyé à une autre adresse e-mail"


@pytest.fixture
def issued(terms, employer):
    return reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                       email="rh@boulangerie.ch", created_by=None)


def _start(client, plain):
    client.post("/register/code/", {"code": plain, "accept_terms": "on"})


def _user_data(client, email):
    return client.post("/register/user/", {"email": email, "password1": STRONG,
                                           "password2": STRONG})


def _finish(client, email):
    client.post("/register/email/", {"code": last_email_code(email)})
    client.post("/register/factor/", {"method": "totp"})
    return client.post("/register/confirm/", {"token": current_totp(client)})


def test_it_refuses_another_address_at_the_user_data_step(client, issued):
    _start(client, issued.plain)
    response = _user_data(client, "mallory@evil.example")
    assert response.status_code == 200
    page = response.content.decode()
    assert OTHER_ADDRESS in page
    assert "Utilisez l&#x27;adresse à laquelle vous l&#x27;avez reçu." in page
    assert not OutboxMessage.objects.filter(recipient="mallory@evil.example").exists()
    # The wizard does not move on.
    assert client.get("/register/email/")["Location"] == "/register/user/"


def test_the_address_it_was_sent_to_works_whatever_the_case(client, issued, employer):
    _start(client, issued.plain)
    assert _user_data(client, "RH@Boulangerie.CH")["Location"] == "/register/email/"
    assert _finish(client, "rh@boulangerie.ch").status_code == 200
    membership = Membership.objects.get(user__email="rh@boulangerie.ch")
    assert (membership.employer, membership.role) == (employer, "admin")


def test_the_last_step_checks_the_address_again(client, issued):
    _start(client, issued.plain)
    _user_data(client, "rh@boulangerie.ch")
    # Whatever happened in between (here: the code now names another address), the account
    # is not created for an address the code was not sent to.
    RegistrationCode.objects.filter(pk=issued.code.pk).update(email="autre@boulangerie.ch")
    response = _finish(client, "rh@boulangerie.ch")
    assert response["Location"] == "/register/user/"
    assert OTHER_ADDRESS in client.get("/register/user/").content.decode()
    assert not User.objects.exists()
    assert RegistrationCode.objects.get().redeemed_at is None


def test_registration_complete_refuses_another_address(issued):
    registration = reg.Registration(
        code_id=issued.code.pk, email="mallory@evil.example", password_hash=make_password(STRONG),
        factor="totp", factor_key=reg.factor_key_new(),
    )
    with pytest.raises(reg.EmailMismatch):
        reg.registration_complete(registration=registration)
    assert not User.objects.exists()
    assert RegistrationCode.objects.get().redeemed_at is None


def test_a_code_without_an_address_takes_any(client, terms, employer):
    issued = reg.registration_code_issue(kind="employer", role="third_party", employer=employer,
                                         created_by=None)
    _start(client, issued.plain)
    assert _user_data(client, "fidu@example.ch")["Location"] == "/register/email/"
    assert _finish(client, "fidu@example.ch").status_code == 200
    assert Membership.objects.filter(user__email="fidu@example.ch", role="third_party").exists()


# --- /register/code/add/ (an existing account) --------------------------------------------------


def test_an_existing_account_cannot_add_a_code_sent_to_another_address(as_user, insured, issued):
    response = as_user(insured).post(reverse("register-code-add"), {"code": issued.plain})
    assert response.status_code == 200
    assert "autre adresse e-mail que celle de votre compte" in response.content.decode()
    assert not Membership.objects.filter(user=insured, kind="employer").exists()
    assert RegistrationCode.objects.get().redeemed_at is None


def test_an_existing_account_with_that_address_adds_the_code(as_user, insured, employer):
    issued = reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                         email="Claire@Example.ch", created_by=None)
    response = as_user(insured).post(reverse("register-code-add"), {"code": issued.plain})
    assert response.status_code == 302
    assert Membership.objects.get(user=insured, kind="employer").employer == employer
