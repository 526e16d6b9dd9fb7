"""A stranger must not become admin of a company that already has portal users (issue item 6).

The attack: an anonymous access request with the UID of an existing company and the attacker's
own e-mail; support approves it; the code registers an employer admin, even under another e-mail.
Now support's approval is refused until one of the company's admins (in the portal) or a
supervisor (in the admin) confirms the request, and the code only works for its own e-mail.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import (
    AccessRequest,
    Membership,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    TermsAcceptance,
    User,
)
from tests import factories as f
from tests.conftest import STRONG, current_totp, last_email_code, login_verified

pytestmark = pytest.mark.django_db

ATTACKER = "mallory@evil.example"
REFUSED = "a déjà des utilisateurs du portail"
CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


def _staff(email: str, *, supervisor: bool = False) -> User:
    """A support colleague who is not a superuser: view and change accounts and policies, and
    decide access requests."""
    user = f.UserFactory(email=email, is_staff=True)
    perms = Permission.objects.filter(
        content_type__app_label__in=["accounts", "policies"],
        codename__regex=r"^(view|change)_",
    )
    user.user_permissions.set(perms)
    user.user_permissions.add(Permission.objects.get(codename="decide_access_request"))
    if supervisor:
        user.user_permissions.add(
            Permission.objects.get(codename="confirm_existing_organisation")
        )
    TOTPDevice.objects.create(user=user, name="default", confirmed=True)
    TermsAcceptance.objects.create(user=user, version=1)
    return user


@pytest.fixture
def support_staff(terms):
    return _staff("guichet@alpina.ch")


@pytest.fixture
def supervisor(terms):
    return _staff("cheffe@alpina.ch", supervisor=True)


@pytest.fixture
def company_admin(hr_admin):
    hr_admin.first_name, hr_admin.last_name = "Martine", "Keller"
    hr_admin.save()
    return hr_admin


def _anonymous_request(number: str, kind: str = "employer", email: str = ATTACKER):
    response = Client().post(f"/access-request/{kind}/", {
        "organisation_name": "Boulangerie Test SA", "organisation_number": number,
        "contact_first_name": "Mallory", "contact_last_name": "Intrus", "email": email,
        "mobile": "079 555 12 34", "language": "fr",
    })
    assert response.status_code == 302
    return AccessRequest.objects.get(email=email)


def _approve(user, access_request, **kwargs):
    client = login_verified(Client(), user)
    return client.post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/", **kwargs)


def _plain_code(email: str = ATTACKER) -> str:
    message = OutboxMessage.objects.filter(
        channel="email", recipient=email, subject__contains="code d'enregistrement"
    ).get()
    return CODE_RE.search(message.body).group(0)


def _register(plain: str, email: str):
    """Walk /register/code/ with the code and `email`; the last response."""
    client = Client()
    client.post("/register/code/", {"code": plain, "accept_terms": "on"})
    response = client.post("/register/user/", {"email": email, "password1": STRONG,
                                                "password2": STRONG})
    if response.status_code != 302:
        return response
    client.post("/register/email/", {"code": last_email_code(email)})
    client.post("/register/factor/", {"method": "totp"})
    return client.post("/register/confirm/", {"token": current_totp(client)})


# --- the attack, end to end ---------------------------------------------------------------------


def test_the_attack_gets_nothing_until_a_company_admin_confirms(
        employer, company_admin, support_staff, as_user):
    access_request = _anonymous_request(employer.uid)

    # Support approves as before: refused, with a message saying why; no code, no e-mail.
    response = _approve(support_staff, access_request, follow=True)
    assert REFUSED in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == "pending"
    assert not RegistrationCode.objects.exists()
    assert not OutboxMessage.objects.filter(body__regex=CODE_RE.pattern).exists()

    # The bulk action obeys the same rule.
    client = login_verified(Client(), support_staff)
    response = client.post("/admin/accounts/accessrequest/", {
        "action": "approve_requests", "_selected_action": [access_request.pk],
    }, follow=True)
    assert REFUSED in response.content.decode()
    assert not RegistrationCode.objects.exists()

    # The company's admin confirms in the portal; then support's approval goes through.
    confirmed = as_user(company_admin).post(
        f"/employer/access-requests/{access_request.pk}/confirm/")
    assert confirmed.status_code == 302
    access_request.refresh_from_db()
    assert access_request.confirmed_by == company_admin
    assert access_request.confirmed_at is not None
    assert SecurityEvent.objects.filter(user=company_admin, kind="access_decision",
                                        detail__decision="confirmed").exists()
    response = _approve(support_staff, access_request)
    assert response["Content-Type"] == "application/pdf"
    code = RegistrationCode.objects.get()
    assert (code.employer, code.role, code.email) == (employer, "admin", ATTACKER)

    # The code registered under another e-mail address: refused, nothing created.
    plain = _plain_code()
    response = _register(plain, "someone.else@evil.example")
    assert response.status_code == 200
    assert "Ce code a été envoyé à une autre adresse e-mail" in response.content.decode()
    assert not User.objects.filter(email="someone.else@evil.example").exists()
    assert not OutboxMessage.objects.filter(recipient="someone.else@evil.example").exists()
    code.refresh_from_db()
    assert code.redeemed_at is None

    # Under the address it was sent to (which the company admin vouched for): it works.
    response = _register(plain, ATTACKER)
    assert response.status_code == 200
    membership = Membership.objects.get(user__email=ATTACKER)
    assert (membership.employer, membership.role) == (employer, "admin")


def test_without_the_fix_in_the_admin_the_service_still_refuses(employer, company_admin,
                                                               support_staff):
    from accounts import registration as reg

    access_request = _anonymous_request(employer.uid)
    with pytest.raises(reg.ConfirmationRequired):
        reg.access_request_approve(access_request=access_request, decided_by=support_staff)
    assert not RegistrationCode.objects.exists()


def test_support_cannot_confirm_through_the_change_form(employer, company_admin, support_staff):
    access_request = _anonymous_request(employer.uid)
    client = login_verified(Client(), support_staff)
    page = client.get(f"/admin/accounts/accessrequest/{access_request.pk}/change/")
    assert 'name="confirmed_by"' not in page.content.decode()
    assert 'name="confirmed_at_0"' not in page.content.decode()
    # Nor through the supervisor's button, which needs the supervisor's permission.
    response = client.post(f"/admin/accounts/accessrequest/{access_request.pk}/confirm/")
    assert response.status_code == 403
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None


# --- what support sees --------------------------------------------------------------------------


def test_the_decision_page_warns_and_names_the_company_admins(
        employer, company_admin, support_staff):
    f.MembershipFactory(user=f.UserFactory(email="clerk@boulangerie.ch"), kind="employer",
                        role="clerk", employer=employer)
    access_request = _anonymous_request(employer.uid)
    page = login_verified(Client(), support_staff).get(
        f"/admin/accounts/accessrequest/{access_request.pk}/change/").content.decode()
    assert "Cette entreprise a déjà des utilisateurs du portail" in page
    assert "Martine Keller" in page and "hr@example.ch" in page
    assert "clerk@boulangerie.ch" not in page  # the admins, who can confirm
    assert "cheffe" not in page
    # Support without the supervisor right gets no Confirm button.
    assert 'value="Confirmer' not in page


def test_a_revoked_admin_does_not_make_a_company_existing(employer, support_staff):
    from django.utils import timezone

    f.MembershipFactory(kind="employer", role="admin", employer=employer,
                        revoked_at=timezone.now())
    access_request = _anonymous_request(employer.uid)
    response = _approve(support_staff, access_request)
    assert response["Content-Type"] == "application/pdf"


def test_approving_a_brand_new_company_still_works_unconfirmed(support_staff):
    uid = f.next_uid()
    access_request = _anonymous_request(uid, email="patronne@nouvelle.ch")
    page = login_verified(Client(), support_staff).get(
        f"/admin/accounts/accessrequest/{access_request.pk}/change/").content.decode()
    assert "déjà des utilisateurs" not in page
    response = _approve(support_staff, access_request)
    assert response["Content-Type"] == "application/pdf"
    code = RegistrationCode.objects.get()
    assert code.employer.uid == uid and code.role == "admin"


def test_a_second_request_waits_while_the_first_code_is_not_yet_used(support_staff):
    """The first requester's code is on its way (no portal user yet): a second stranger asking
    for the same company must not get a code on support's word alone."""
    uid = f.next_uid()
    first = _anonymous_request(uid, email="patronne@nouvelle.ch")
    assert _approve(support_staff, first)["Content-Type"] == "application/pdf"
    second = _anonymous_request(uid, email=ATTACKER)
    response = _approve(support_staff, second)
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.status == "pending"
    assert RegistrationCode.objects.count() == 1


def test_the_requester_is_told_that_a_company_admin_has_to_confirm(employer, company_admin):
    _anonymous_request(employer.uid)
    message = OutboxMessage.objects.get(channel="email", recipient=ATTACKER)
    assert "administrateur" in message.body and "confirmer" in message.body
    assert "Martine" not in message.body and "hr@example.ch" not in message.body


def test_a_request_for_a_new_company_sends_no_such_e_mail(db):
    _anonymous_request(f.next_uid())
    assert not OutboxMessage.objects.exists()


# --- the supervisor -----------------------------------------------------------------------------


def test_a_supervisor_confirms_in_the_admin_then_support_approves(
        employer, company_admin, supervisor, support_staff):
    access_request = _anonymous_request(employer.uid)
    client = login_verified(Client(), supervisor)
    page = client.get(f"/admin/accounts/accessrequest/{access_request.pk}/change/")
    assert 'value="Confirmer' in page.content.decode()
    response = client.post(f"/admin/accounts/accessrequest/{access_request.pk}/confirm/",
                           follow=True)
    assert "Demande confirmée" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.confirmed_by == supervisor
    event = SecurityEvent.objects.get(user=supervisor, kind="access_decision")
    assert event.detail["decision"] == "confirmed"
    assert event.detail["organisation_id"] == employer.pk
    page = login_verified(Client(), support_staff).get(
        f"/admin/accounts/accessrequest/{access_request.pk}/change/").content.decode()
    assert "cheffe@alpina.ch" in page  # who confirmed
    assert _approve(support_staff, access_request)["Content-Type"] == "application/pdf"


def test_the_supervisor_who_confirmed_cannot_also_approve(employer, company_admin, supervisor):
    access_request = _anonymous_request(employer.uid)
    login_verified(Client(), supervisor).post(
        f"/admin/accounts/accessrequest/{access_request.pk}/confirm/")
    response = _approve(supervisor, access_request, follow=True)
    assert "un·e collègue doit l&#x27;approuver" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == "pending"
    assert not RegistrationCode.objects.exists()


def test_a_supervisor_confirms_an_existing_agency(agency, broker, supervisor, support_staff):
    access_request = _anonymous_request(agency.register_number, kind="broker")
    page = login_verified(Client(), support_staff).get(
        f"/admin/accounts/accessrequest/{access_request.pk}/change/").content.decode()
    assert "broker@example.ch" in page
    response = _approve(support_staff, access_request, follow=True)
    assert REFUSED in response.content.decode()
    assert not RegistrationCode.objects.exists()
    login_verified(Client(), supervisor).post(
        f"/admin/accounts/accessrequest/{access_request.pk}/confirm/")
    assert _approve(support_staff, access_request)["Content-Type"] == "application/pdf"
    assert RegistrationCode.objects.get().agency == agency


def test_a_confirmation_by_the_admin_of_another_company_does_not_count(
        employer, company_admin, other_employer_hr, support_staff):
    from accounts import registration as reg

    access_request = _anonymous_request(employer.uid)
    with pytest.raises(reg.ConfirmationNotAllowed):
        reg.access_request_confirm(access_request=access_request, confirmed_by=other_employer_hr)
    access_request.refresh_from_db()
    assert access_request.confirmed_at is None
