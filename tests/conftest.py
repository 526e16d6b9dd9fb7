"""Named personas (STYLE.md 7) and clients logged in as them, second factor verified."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, TermsAcceptance
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


def support_group():
    """The rights support works with: view, add and change the portal's models (never delete),
    and read the login lockouts (axes)."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    group, _ = Group.objects.get_or_create(name="Support")
    group.permissions.set(Permission.objects.filter(
        Q(content_type__app_label__in=SUPPORT_APPS, codename__regex=r"^(view|add|change)_")
        | Q(content_type__app_label="axes", codename__startswith="view_")
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


__all__ = ["Membership", "PASSWORD", "login_verified"]
