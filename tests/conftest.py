"""Named personas (STYLE.md 7) and clients logged in as them, second factor verified."""

from __future__ import annotations

import re
import time
from binascii import unhexlify
from datetime import date

import pytest
import responses
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import registration as reg
from accounts.models import Membership, OutboxMessage, TermsAcceptance
from tests import factories as f

PASSWORD = "Correct-Horse-9"


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.MEDIA_ROOT = tmp_path / "media"
    # Production Argon2 costs 100 MB and ~0.3 s a hash; tests keep the algorithm, not the cost.
    settings.PASSWORD_HASHERS = ["tests.hashers.FastArgon2PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache():
    # Rolled-back tests reuse primary keys on SQLite: nothing cached may outlive its test.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def terms(db):
    return f.TermsFactory(version=1)


def _make(user, *, accept_terms=True):
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    if accept_terms:
        TermsAcceptance.objects.create(user=user, version=1)
    return user


@pytest.fixture
def employer(db):
    return f.EmployerFactory(name="Boulangerie Test SA")


@pytest.fixture
def other_employer(db):
    return f.EmployerFactory(name="Autre Entreprise SA")


@pytest.fixture
def insured_person(employer):
    contract = f.ContractFactory(employer=employer)
    person = f.InsuredPersonFactory(contract=contract, first_name="Claire", last_name="Favre")
    f.CertificateFactory(person=person)
    return person


@pytest.fixture
def insured(terms, insured_person):
    user = f.UserFactory(email="claire@example.ch", insured_person=insured_person)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=insured_person)
    return _make(user)


@pytest.fixture
def other_insured(terms, other_employer):
    person = f.InsuredPersonFactory(contract=f.ContractFactory(employer=other_employer),
                                    first_name="Otto", last_name="Autre")
    f.CertificateFactory(person=person, savings_capital="99999.00")
    user = f.UserFactory(email="otto@example.ch", insured_person=person)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    return _make(user)


@pytest.fixture
def pensioner(terms, employer):
    person = f.InsuredPersonFactory(
        contract=f.ContractFactory(employer=employer), first_name="Jean", last_name="Rentier",
        status="pensioner", birth_date="1955-03-01",
    )
    user = f.UserFactory(email="jean@example.ch", insured_person=person)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    return _make(user)


@pytest.fixture
def hr_admin(terms, employer):
    user = f.UserFactory(email="hr@example.ch")
    f.MembershipFactory(user=user, kind="employer", role="admin", employer=employer)
    return _make(user)


@pytest.fixture
def third_party(terms, employer, hr_admin):
    user = f.UserFactory(email="fiduciaire@example.ch")
    f.MembershipFactory(user=user, kind="employer", role="third_party", employer=employer,
                        granted_by=hr_admin)
    return _make(user)


@pytest.fixture
def other_employer_hr(terms, other_employer):
    user = f.UserFactory(email="hr@autre.ch")
    f.MembershipFactory(user=user, kind="employer", role="admin", employer=other_employer)
    return _make(user)


@pytest.fixture
def agency(db):
    return f.AgencyFactory(name="Courtage Test Sàrl")


@pytest.fixture
def broker(terms, agency):
    user = f.UserFactory(email="broker@example.ch")
    f.MembershipFactory(user=user, kind="broker", role="broker", agency=agency)
    return _make(user)


SUPPORT_APPS = ("accounts", "policies", "simulations")
# The duties of the older generic group (the admin's lost-phone and unlock actions check them).
SUPPORT_DUTIES = ("find_person", "request_factor_reset", "unlock_account")


def support_group():
    """The rights support works with: view, add and change the portal's models (never delete),
    read the login lockouts (axes), and the client centre's duties on accounts."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name="Support")
    group.permissions.set(Permission.objects.filter(
        Q(content_type__app_label__in=SUPPORT_APPS, codename__regex=r"^(view|add|change)_")
        | Q(content_type__app_label="axes", codename__startswith="view_")
        | Q(content_type__app_label="accounts", codename__in=SUPPORT_DUTIES)
    ))
    return group


def support_member(email: str):
    """A colleague of the support team: staff, in the Support group, not superuser."""
    user = f.UserFactory(email=email, is_staff=True)
    user.groups.add(support_group())
    return _make(user)


@pytest.fixture
def support(terms):
    return support_member("support@example.ch")


@pytest.fixture
def colleague(terms):
    """A second support colleague (four eyes)."""
    return support_member("colleague@example.ch")


def duty_member(email: str, group_name: str):
    """A colleague in one of the duty groups of accounts/duties.py (created by the migration)."""
    from django.contrib.auth.models import Group

    user = f.UserFactory(email=email, is_staff=True)
    user.groups.add(Group.objects.get(name=group_name))
    return _make(user)


@pytest.fixture
def agent(terms):
    """Client centre: support agent."""
    from accounts.duties import AGENT

    return duty_member("agent@example.ch", AGENT)


@pytest.fixture
def account_manager(terms):
    from accounts.duties import ACCOUNT_MANAGER

    return duty_member("manager@example.ch", ACCOUNT_MANAGER)


@pytest.fixture
def supervisor(terms):
    from accounts.duties import SUPERVISOR

    return duty_member("supervisor@example.ch", SUPERVISOR)


@pytest.fixture
def supervisor2(terms):
    """A second supervisor (four eyes among supervisors)."""
    from accounts.duties import SUPERVISOR

    return duty_member("supervisor2@example.ch", SUPERVISOR)


@pytest.fixture
def superuser(terms):
    user = f.UserFactory(email="admin@example.ch", is_staff=True, is_superuser=True)
    return _make(user)


def login_verified(client: Client, user) -> Client:
    """Logged in with the second factor verified, as after a completed login wizard."""
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.get(user=user, name="default").persistent_id
    session.save()
    return client


@pytest.fixture
def as_user(client):
    def _as(user):
        if user is None:
            return client
        return login_verified(client, user)

    return _as


# --- Steps shared by many tests: login wizard, registration wizard, re-authentication -----------
# (plain functions and fixtures here, so that no test module imports another one's helpers)

LOGIN = "/account/login/"

GENERIC = "Nom d&#x27;utilisateur ou mot de passe incorrect"

def post_password(client: Client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {
        "login_view-current_step": "auth", "auth-username": username, "auth-password": password,
    })

def post_token(client: Client, token: str, step: str = "token"):
    return client.post(LOGIN, {"login_view-current_step": step, f"{step}-otp_token": token})

def totp_now(user) -> str:
    device = TOTPDevice.objects.get(user=user, name="default")
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"

def wrong_totp(user) -> str:
    right = int(totp_now(user))
    return f"{(right + 500000) % 1000000:06d}"


LOCKED = "Trop d&#x27;essais infructueux : la connexion à ce compte est bloquée pendant une heure"

def fail(client: Client, username: str, times: int):
    return [post_password(client, username, "wrong-password") for _ in range(times)]


def reauthed(client: Client) -> Client:
    session = client.session
    session["reauthenticated_at"] = time.time()
    session.save()
    return client


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


def register_with_code(client, plain, email):
    response = client.post("/register/code/", {"code": plain, "accept_terms": "on"})
    assert response["Location"] == "/register/user/"
    page = client.get("/register/user/").content.decode()
    assert f'value="{email}"' in page  # the address the code was sent to, ready to confirm
    client.post("/register/user/", {"email": email, "password1": STRONG, "password2": STRONG})
    client.post("/register/email/", {"code": last_email_code(email)})
    client.post("/register/factor/", {"method": "totp"})
    return client.post("/register/confirm/", {"token": current_totp(client)})


SID = "AC" + "0" * 32

TWILIO_URL = f"https://api.twilio.com/2010-04-01/Accounts/{SID}/Messages.json"

@pytest.fixture
def twilio(settings):
    settings.SMS_BACKEND = "twilio"
    settings.TWILIO_ACCOUNT_SID = SID
    settings.TWILIO_AUTH_TOKEN = "secret-token"
    settings.TWILIO_FROM_NUMBER = "+41215556600"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


__all__ = ["Membership", "PASSWORD", "login_verified"]
