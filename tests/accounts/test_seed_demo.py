from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from accounts.models import Membership, User
from policies.models import Employer, InsuredPerson, Policy

pytestmark = pytest.mark.django_db


def test_seed_demo_refuses_to_run_without_debug(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo")
    assert not User.objects.exists()


def test_seed_demo_loads_the_fund_once(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    assert "already present" in capsys.readouterr().out
    assert Employer.objects.count() == 3
    largest = max(Employer.objects.all(), key=lambda e: InsuredPerson.objects.filter(
        contract__employer=e).count())
    assert InsuredPerson.objects.filter(contract__employer=largest).count() == 2000
    assert Policy.objects.count() == 300
    assert InsuredPerson.objects.filter(status="pensioner").count() > 10
    for email, kind in [("insured@demo.ch", "insured"), ("pensioner@demo.ch", "insured"),
                        ("hr@demo.ch", "employer"), ("broker@demo.ch", "broker")]:
        user = User.objects.get(email=email)
        assert user.check_password("Alpina-Demo-2026")
        assert Membership.objects.filter(user=user, kind=kind).exists()
        assert user.totpdevice_set.filter(confirmed=True).exists()
    demo_support = User.objects.get(email="support@demo.ch")
    assert demo_support.is_staff and demo_support.is_superuser  # the demo keeps a superuser
    person = User.objects.get(email="insured@demo.ch").insured_person
    cert = person.certificates.get()
    assert cert.savings_capital > 0 and cert.projected_pension_65 > 0


def test_the_readme_demo_registration_code_opens_the_wizard(settings, client):
    settings.DEBUG = True
    call_command("seed_demo")
    response = client.post("/register/", {
        "ahv_number": "7569217076985", "birth_date": "12.04.1968", "code": "demo-2026-alpn",
        "accept_terms": "on",
    })
    assert response.status_code == 302
    assert response["Location"] == "/register/user/"


def test_the_readme_backup_codes_log_a_demo_persona_in_once_each(settings, client):
    from tests.conftest import LOGIN, post_password

    settings.DEBUG = True
    call_command("seed_demo")
    assert post_password(client, "insured@demo.ch", "Alpina-Demo-2026").status_code == 200
    page = client.post(LOGIN, {"wizard_goto_step": "backup"}).content.decode()
    assert "Code de secours" in page
    response = client.post(LOGIN, {"login_view-current_step": "backup",
                                   "backup-otp_token": "demo1111"})
    assert response.status_code == 302
    client.post("/terms/", {"accept": "yes"})  # first login of the persona: the terms
    assert client.get("/insured/").status_code == 200
    assert "2 restants" in client.get("/profile/").content.decode()
    client.post("/account/logout/")
    post_password(client, "insured@demo.ch", "Alpina-Demo-2026")
    client.post(LOGIN, {"wizard_goto_step": "backup"})
    again = client.post(LOGIN, {"login_view-current_step": "backup",
                                "backup-otp_token": "demo1111"})
    assert again.status_code == 200  # used once: refused


def test_seed_demo_adds_the_employer_portal_personas_and_data(settings):
    from policies.models import ContributionInvoice, Mutation, SalaryDeclaration

    settings.DEBUG = True
    call_command("seed_demo")
    hr = User.objects.get(email="hr@demo.ch").memberships.get()
    hr2 = User.objects.get(email="hr2@demo.ch").memberships.get()
    clerk = User.objects.get(email="clerk@demo.ch").memberships.get()
    assert hr2.role == "admin" and hr2.employer != hr.employer
    assert clerk.role == "clerk" and clerk.employer == hr.employer
    fiduciary = {m.employer_id: m for m in User.objects.get(
        email="fiduciary@demo.ch").memberships.all()}
    assert not fiduciary[hr.employer_id].grants_mutations
    assert fiduciary[hr2.employer_id].grants_mutations
    for email in ("hr2@demo.ch", "clerk@demo.ch", "fiduciary@demo.ch"):
        user = User.objects.get(email=email)
        assert user.check_password("Alpina-Demo-2026")
        assert user.totpdevice_set.filter(confirmed=True).exists()
    statuses = set(Mutation.objects.filter(employer=hr.employer).values_list("status", flat=True))
    assert {"submitted", "in_review", "booked", "rejected"} <= statuses
    assert ContributionInvoice.objects.filter(employer=hr.employer, status="open").exists()
    declaration = SalaryDeclaration.objects.get(employer=hr.employer)
    assert declaration.status == "draft" and declaration.lines.filter(changed=True).exists()
