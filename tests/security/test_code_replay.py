"""Replay and expiry of every kind of code.

Replay: a one-time code that did its work is refused when typed again: the e-mail and SMS codes
(registration, e-mail and mobile change, forgotten password), the registration codes of every
kind (insured person, employer, broker, third party invited by a company admin, support
colleague) on both code pages, the re-enrolment letter, the authenticator's code within its own
30 seconds (at login, and the one typed to confirm it at registration), the SMS login code, and
backup codes (at login and at a password reset). For codes kept in the wizard's session, the
test puts the session back where it pointed at the code, as an attacker replaying the step
would need.

Expiry: with the clock moved by time-machine, each code works one second before its end and is
refused one second after it (10 minutes for e-mail and SMS codes, the registration codes' own
expiry date, 60 seconds from its step for an authenticator code, 180 for an SMS login code)."""

from __future__ import annotations

import re
import time

import pytest
import time_machine
from django.conf import settings
from django.test import Client
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts import registration as reg
from accounts.models import OutboxMessage, User
from accounts.services import backup_codes_regenerate
from tests import factories as f
from tests.conftest import (
    LOGIN,
    STRONG,
    current_totp,
    identify,
    login_verified,
    post_password,
    post_token,
    reauthed,
    register_with_code,
    totp_now,
    user_data,
    walk_to_factor,
)

pytestmark = pytest.mark.django_db

NUMBER = "+41791234567"
NO_LONGER_VALID = "n&#x27;est plus valable"
# The start of a 30-second step a day from now: every clock in these tests is set from it.
WINDOW_START = float((int(time.time()) // 30 + 2880) * 30)


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


# --- registration codes of every kind, re-enrolment letters ---------------------------------------

REFUSED_CODE = "Ce code d&#x27;enregistrement n&#x27;est pas valable"
IDENTIFICATION_FAILED = "Nous n&#x27;avons pas pu vous identifier"


def _complete_insured_wizard(client: Client, person, plain: str) -> None:
    walk_to_factor(client, person, plain)
    client.post("/register/factor/", {"method": "totp"})
    assert client.post("/register/confirm/", {"token": current_totp(client)}).status_code == 200


def test_a_used_insured_registration_code_is_refused(person, issued):
    _complete_insured_wizard(Client(), person, issued.plain)
    again = identify(Client(REMOTE_ADDR="10.0.0.9"), person, issued.plain)
    assert again.status_code == 200 and IDENTIFICATION_FAILED in again.content.decode()
    assert User.objects.filter(insured_person=person).count() == 1


def _code(kind: str, employer, agency, superuser) -> tuple[str, str]:
    email = f"{kind}@example.ch"
    if kind == "staff":
        return reg.staff_invitation_issue(email=email, groups=[], created_by=superuser).plain, email
    if kind == "third_party":
        from accounts import grants

        admin = f.UserFactory(email="hr-admin@example.ch")
        membership = f.MembershipFactory(user=admin, kind="employer", role="admin",
                                         employer=employer)
        return grants.third_party_invite(membership=membership, by=admin, first_name="Fi",
                                         last_name="Duciaire", email=email,
                                         grants_mutations=False, valid_until=None).plain, email
    target = {"employer": employer} if kind == "employer" else {"agency": agency}
    role = "admin" if kind == "employer" else "broker"
    return reg.registration_code_issue(kind=kind, role=role, created_by=None, email=email,
                                       **target).plain, email


@pytest.mark.parametrize("kind", ["employer", "broker", "third_party", "staff"])
def test_a_used_code_of_every_kind_is_refused_on_both_code_pages(kind, terms, employer, agency,
                                                                  superuser, other_insured):
    plain, email = _code(kind, employer, agency, superuser)
    assert register_with_code(Client(), plain, email).status_code == 200  # redeemed
    assert User.objects.filter(email=email).exists()

    again = Client(REMOTE_ADDR="10.0.0.9").post("/register/code/", {"code": plain,
                                                                      "accept_terms": "on"})
    assert again.status_code == 200 and REFUSED_CODE in again.content.decode()
    added = login_verified(Client(), other_insured).post("/register/code/add/", {"code": plain})
    assert added.status_code == 200 and REFUSED_CODE in added.content.decode()
    assert other_insured.memberships.count() == 1 and not User.objects.get(
        pk=other_insured.pk).is_staff


@pytest.fixture
def reset_insured(insured, superuser):
    from accounts.services import second_factor_reset

    second_factor_reset(user=insured, by=superuser)
    return insured


def _password_only(user) -> Client:
    client = Client()
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    return client


def test_a_used_reenrolment_letter_code_is_refused(reset_insured, superuser):
    from accounts.reenrol import reenrol_code_issue

    issued = reenrol_code_issue(user=reset_insured, by=superuser)
    assert _password_only(reset_insured).post("/account/two_factor/reenrol/", {
        "code": issued.plain}).url == "/account/two_factor/setup/"
    again = _password_only(reset_insured).post("/account/two_factor/reenrol/", {
        "code": issued.plain})
    assert again.status_code == 200 and "pas valable" in again.content.decode()


# --- second factors at login: TOTP within its window, SMS code, backup code ----------------------

WRONG_CODE = "Code incorrect"


def _second_login(user, token: str, step: str = "token"):
    client = Client()
    post_password(client, user.email)
    if step == "backup":
        client.post(LOGIN, {"login_view-current_step": "token", "wizard_goto_step": "backup"})
    return post_token(client, token, step=step)


def test_a_totp_code_logs_in_once_even_within_its_30_seconds(insured):
    with time_machine.travel(WINDOW_START + 5, tick=False):
        token = totp_now(insured)
        assert _second_login(insured, token).status_code == 302
    with time_machine.travel(WINDOW_START + 25, tick=False):  # same window, another browser
        again = _second_login(insured, token)
    assert again.status_code == 200 and WRONG_CODE in again.content.decode()


def test_the_totp_code_typed_at_registration_does_not_log_in_again(person, issued):
    with time_machine.travel(WINDOW_START + 5, tick=False):
        client = Client()
        walk_to_factor(client, person, issued.plain)
        client.post("/register/factor/", {"method": "totp"})
        token = current_totp(client)
        assert client.post("/register/confirm/", {"token": token}).status_code == 200
    with time_machine.travel(WINDOW_START + 20, tick=False):
        again = Client()
        post_password(again, "marie@example.ch", STRONG)
        answer = post_token(again, token)
    assert answer.status_code == 200 and WRONG_CODE in answer.content.decode()


def _sms_login_user(user):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.filter(user=user).delete()
    return PhoneDevice.objects.create(user=user, name="default", number=NUMBER, method="sms",
                                      confirmed=True)


def test_an_sms_login_code_logs_in_once(insured):
    _sms_login_user(insured)
    with time_machine.travel(WINDOW_START + 5, tick=False):
        client = Client()
        post_password(client, insured.email)
        code = _code_to(NUMBER)
        assert post_token(client, code).status_code == 302
    with time_machine.travel(WINDOW_START + 35, tick=False):  # the code would still be valid
        again = Client()
        post_password(again, insured.email)
        answer = post_token(again, code)
    assert answer.status_code == 200 and WRONG_CODE in answer.content.decode()
    assert again.get("/insured/").status_code == 302


def test_the_sms_code_typed_at_registration_does_not_log_in_again(person, issued):
    with at(5):
        client = Client()
        walk_to_factor(client, person, issued.plain)
        client.post("/register/factor/", {"method": "sms", "mobile": "079 555 12 34"})
        code = _code_to("+41795551234")
        assert client.post("/register/confirm/", {"token": code}).status_code == 200
    with at(35):
        again = Client()
        post_password(again, "marie@example.ch", STRONG)
        answer = post_token(again, code)
    assert answer.status_code == 200 and WRONG_CODE in answer.content.decode()


def test_a_backup_code_logs_in_once(insured):
    codes = backup_codes_regenerate(user=insured)
    assert _second_login(insured, codes[0], step="backup").status_code == 302
    again = _second_login(insured, codes[0], step="backup")
    assert again.status_code == 200 and WRONG_CODE in again.content.decode()


def test_a_backup_code_used_for_a_password_reset_is_refused_afterwards(sms_insured):
    codes = backup_codes_regenerate(user=sms_insured)
    client = Client()
    client.post("/password/forgot/", {"login": sms_insured.email})
    client.post("/password/forgot/code/", {"code": _code_to(sms_insured.email)})
    assert client.post("/password/forgot/factor/?use=backup", {"code": codes[0]}).url == (
        "/password/forgot/new/")
    again = _second_login(sms_insured, codes[0], step="backup")
    assert again.status_code == 200 and WRONG_CODE in again.content.decode()


# --- expiry: one second before the end a code works, one second after it does not ---------------

TTL = settings.MESSAGE_CODE_TTL_SECONDS  # e-mail and SMS codes: 10 minutes
TOTP_TTL = 60  # a 30-second step, and the step after it (tolerance 1)
SMS_LOGIN_TTL = 180  # two_factor's phone codes: the step they were sent in and 5 more
EDGES = [pytest.param(-1, True, id="ttl-1s-works"), pytest.param(+1, False, id="ttl+1s-fails")]


def at(seconds: float):
    return time_machine.travel(WINDOW_START + seconds, tick=False)


def _expired(response) -> bool:
    return response.status_code == 200 and NO_LONGER_VALID in response.content.decode()


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_registration_email_code_expiry(client, person, issued, edge, works):
    with at(0):
        identify(client, person, issued.plain)
        user_data(client)
        code = _code_to("marie@example.ch")
    with at(TTL + edge):
        response = client.post("/register/email/", {"code": code})
    assert (response.status_code == 302) is works and _expired(response) is not works


@pytest.mark.parametrize("what", ["email", "mobile"])
@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_profile_change_code_expiry(insured, what, edge, works):
    target = "claire.new@example.ch" if what == "email" else NUMBER
    with at(0):
        me = reauthed(login_verified(Client(), insured))
        me.post(f"/profile/{what}/", {"email": target} if what == "email" else {"number": target})
        code = _code_to(target)
    with at(TTL + edge):
        reauthed(me)  # the re-authentication lasts 5 minutes, the code 10
        response = me.post(f"/profile/{what}/confirm/", {"code": code})
    assert (response.status_code == 302) is works and _expired(response) is not works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_password_reset_email_code_expiry(client, sms_insured, edge, works):
    with at(0):
        client.post("/password/forgot/", {"login": sms_insured.email})
        code = _code_to(sms_insured.email)
    with at(TTL + edge):
        response = client.post("/password/forgot/code/", {"code": code})
    assert (response.status_code == 302) is works and _expired(response) is not works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_password_reset_sms_code_expiry(client, sms_insured, edge, works):
    with at(0):
        client.post("/password/forgot/", {"login": sms_insured.email})
        client.post("/password/forgot/code/", {"code": _code_to(sms_insured.email)})
        code = _code_to(NUMBER)
    with at(TTL + edge):
        response = client.post("/password/forgot/factor/", {"code": code})
    assert (response.status_code == 302) is works and _expired(response) is not works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_the_new_password_step_expires_with_the_codes(client, sms_insured, edge, works):
    with at(0):
        client.post("/password/forgot/", {"login": sms_insured.email})
        client.post("/password/forgot/code/", {"code": _code_to(sms_insured.email)})
        client.post("/password/forgot/factor/", {"code": _code_to(NUMBER)})
    with at(TTL + edge):
        response = client.post("/password/forgot/new/", {"new_password1": STRONG,
                                                         "new_password2": STRONG})
    assert response.url == ("/password/forgot/done/" if works else "/password/forgot/")
    assert User.objects.get(pk=sms_insured.pk).check_password(STRONG) is works


def _expiry_of(plain: str):
    from accounts.models import RegistrationCode, hash_code

    return RegistrationCode.objects.get(code_hash=hash_code(plain)).expires_at.timestamp()


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_insured_registration_code_expiry(client, person, issued, edge, works):
    with time_machine.travel(_expiry_of(issued.plain) + edge, tick=False):
        response = identify(client, person, issued.plain)
    assert (response.status_code == 302) is works
    assert (IDENTIFICATION_FAILED in response.content.decode()) is not works


@pytest.mark.parametrize("kind", ["employer", "broker", "third_party", "staff"])
@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_code_expiry_of_every_kind(client, kind, terms, employer, agency, superuser, edge,
                                   works):
    plain, _email = _code(kind, employer, agency, superuser)
    with time_machine.travel(_expiry_of(plain) + edge, tick=False):
        response = client.post("/register/code/", {"code": plain, "accept_terms": "on"})
    assert (response.status_code == 302) is works
    assert (REFUSED_CODE in response.content.decode()) is not works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_reenrolment_letter_code_expiry(reset_insured, superuser, edge, works):
    from accounts.reenrol import reenrol_code_issue

    issued = reenrol_code_issue(user=reset_insured, by=superuser)
    with time_machine.travel(_expiry_of(issued.plain) + edge, tick=False):
        response = _password_only(reset_insured).post("/account/two_factor/reenrol/", {
            "code": issued.plain})
    assert (response.status_code == 302) is works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_totp_code_expiry_at_login(insured, edge, works):
    with at(0):
        token = totp_now(insured)
        client = Client()
        post_password(client, insured.email)
    with at(TOTP_TTL + edge):
        response = post_token(client, token)
    assert (response.status_code == 302) is works


@pytest.mark.parametrize(("edge", "works"), EDGES)
def test_sms_login_code_expiry(insured, edge, works):
    _sms_login_user(insured)
    with at(0):
        client = Client()
        post_password(client, insured.email)
        code = _code_to(NUMBER)
    with at(SMS_LOGIN_TTL + edge):
        response = post_token(client, code)
    assert (response.status_code == 302) is works
