"""Every portal home: the gate (login -> second factor -> terms -> membership) and real data."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import TermsAcceptance
from tests import factories as f

pytestmark = pytest.mark.django_db

HOMES = ["insured:home", "employer:home", "broker:home"]


@pytest.mark.parametrize("url_name", HOMES)
def test_anonymous_is_sent_to_login(client, url_name):
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/?next=")


@pytest.mark.parametrize("url_name", HOMES)
def test_password_only_session_is_sent_back_to_the_second_factor(client, insured, url_name):
    client.force_login(insured, backend="accounts.backends.EmailOrAhvBackend")
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_user_without_any_device_is_sent_to_set_one_up(client, terms, insured_person):
    user = f.UserFactory()
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=insured_person)
    client.force_login(user, backend="accounts.backends.EmailOrAhvBackend")
    response = client.get(reverse("insured:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("two_factor:setup")


def test_new_terms_version_must_be_accepted_before_personal_data(as_user, insured):
    f.TermsFactory(version=2)
    client = as_user(insured)
    response = client.get(reverse("insured:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("terms"))
    page = client.get(response["Location"])
    assert "Conditions d'utilisation" in page.content.decode()
    refused = client.post(reverse("terms"), {"next": "/insured/"})
    assert "Veuillez cocher la case" in refused.content.decode()
    accepted = client.post(reverse("terms"), {"accept": "yes", "next": "/insured/"})
    assert accepted["Location"] == "/insured/"
    assert TermsAcceptance.objects.filter(user=insured, version=2).exists()
    assert client.get("/insured/").status_code == 200


def test_terms_next_parameter_cannot_leave_the_site(as_user, insured):
    f.TermsFactory(version=2)
    client = as_user(insured)
    response = client.post(reverse("terms"), {"accept": "yes", "next": "https://evil.example/"})
    assert response["Location"] == reverse("portal-chooser")


@pytest.mark.parametrize(
    "persona,url_name",
    [("insured", "employer:home"), ("insured", "broker:home"), ("hr_admin", "insured:home"),
     ("hr_admin", "broker:home"), ("broker", "insured:home"), ("broker", "employer:home")],
)
def test_other_portal_is_forbidden(request, as_user, persona, url_name):
    client = as_user(request.getfixturevalue(persona))
    assert client.get(reverse(url_name)).status_code == 403


def test_revoked_or_expired_membership_gives_no_access(as_user, third_party):
    membership = third_party.memberships.get()
    membership.valid_until = "2020-01-01"
    membership.save()
    assert as_user(third_party).get(reverse("employer:home")).status_code == 403


def test_insured_home_shows_own_certificate_figures(as_user, insured, other_insured):
    response = as_user(insured).get(reverse("insured:home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Claire Favre" in body
    assert "CHF 187&#x27;650.35" in body or "CHF 187'650.35" in body
    assert "CHF 58&#x27;540.00" in body or "CHF 58'540.00" in body
    assert "Boulangerie Test SA" in body
    assert "99&#x27;999.00" not in body and "99'999.00" not in body
    assert response["Cache-Control"].startswith("no-store")


def test_employer_home_counts_only_its_active_staff(as_user, hr_admin, employer, other_employer):
    contract = f.ContractFactory(employer=employer)
    f.InsuredPersonFactory.create_batch(3, contract=contract)
    f.InsuredPersonFactory(contract=contract, status="left")
    f.InsuredPersonFactory.create_batch(5, contract=f.ContractFactory(employer=other_employer))
    response = as_user(hr_admin).get(reverse("employer:home"))
    assert response.status_code == 200
    assert response.context["counts"]["active"] == 3
    assert "Boulangerie Test SA" in response.content.decode()


def test_broker_home_counts_policies_under_its_mandates(as_user, broker, agency):
    holder = f.PolicyHolderFactory()
    for _ in range(2):
        f.MandateFactory(agency=agency, broker=broker, policy=f.PolicyFactory(holder=holder))
    f.MandateFactory(agency=agency, broker=broker, policy=f.PolicyFactory())
    f.MandateFactory(agency=agency, policy=f.PolicyFactory())  # the agency's, not this broker's
    f.MandateFactory(policy=f.PolicyFactory())  # another agency's client
    f.MandateFactory(agency=agency, broker=broker, policy=f.PolicyFactory(),
                     end_date="2021-01-01")  # ended
    response = as_user(broker).get(reverse("broker:home"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["policies"], counts["clients"]) == (3, 2)


def test_user_with_two_portals_picks_one(as_user, hr_admin, agency):
    f.MembershipFactory(user=hr_admin, kind="broker", role="broker", agency=agency)
    client = as_user(hr_admin)
    page = client.get(reverse("portal-chooser"))
    assert page.status_code == 200
    assert "Choisir un portail" in page.content.decode()
    broker_membership = hr_admin.memberships.get(kind="broker")
    response = client.post(reverse("portal-chooser"), {"membership": broker_membership.pk})
    assert response["Location"] == reverse("broker:home")


def test_user_with_one_portal_goes_straight_there(as_user, insured):
    response = as_user(insured).get(reverse("portal-chooser"))
    assert response["Location"] == reverse("insured:home")
