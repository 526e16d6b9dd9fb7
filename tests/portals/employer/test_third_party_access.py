"""Third-party access granted by the company admin: invitation by e-mail with a code bound to
the address, the list (since, granted by, until), change of scope, revocation that ends the
person's sessions at once; each step audited. Another company's grant is a 404."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import Membership, OutboxMessage, RegistrationCode, SecurityEvent
from tests import factories as f
from tests.conftest import _make, login_verified

pytestmark = pytest.mark.django_db


def invite(client, **changes):
    data = {"first_name": "Fritz", "last_name": "Treuhand", "email": "Fritz@Treuhand.ch",
            "scope": "mutations", "valid_until": ""}
    data.update(changes)
    return client.post("/employer/access/invite/", data)


def test_the_admin_invites_a_third_party_by_e_mail(as_user, hr_admin, employer,
                                                   django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(as_user(hr_admin))
    assert response.status_code == 302
    code = RegistrationCode.objects.get(employer=employer, role="third_party")
    assert code.email == "fritz@treuhand.ch" and code.grants_mutations and code.created_by == hr_admin
    mail = OutboxMessage.objects.get(recipient="fritz@treuhand.ch")
    assert "/register/code/" in mail.body and "Boulangerie Test SA" in mail.body
    assert re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", mail.body)
    event = SecurityEvent.objects.get(kind="access_granted")
    assert event.user == hr_admin and event.detail["scope"] == "read_mutations"
    page = as_user(hr_admin).get("/employer/access/").content.decode()
    assert "fritz@treuhand.ch" in page and "Invitations en attente" in page


def test_a_past_end_date_is_refused(as_user, hr_admin):
    yesterday = (timezone.localdate() - timedelta(days=1)).strftime("%d.%m.%Y")
    response = invite(as_user(hr_admin), valid_until=yesterday)
    assert response.status_code == 200 and "déjà passée" in response.content.decode()
    assert not RegistrationCode.objects.exists()


def test_an_existing_account_adds_the_invitation_and_gets_its_scope(
        as_user, hr_admin, employer, other_employer_hr, staff_person):
    """A fiduciary who already works for another company adds the code to the same account."""
    fiduciary = other_employer_hr
    with_code = invite(as_user(hr_admin), email=fiduciary.email, scope="read")
    assert with_code.status_code == 302
    body = OutboxMessage.objects.get(recipient=fiduciary.email).body
    plain = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", body).group(0)
    client = login_verified(Client(), fiduciary)
    assert client.post("/register/code/add/", {"code": plain}).status_code == 302
    membership = Membership.objects.get(user=fiduciary, employer=employer)
    assert membership.role == "third_party" and not membership.grants_mutations
    assert membership.granted_by == hr_admin
    client.post("/portal/", {"membership": membership.pk})
    assert client.get(f"/employer/staff/{staff_person.pk}/").status_code == 200
    assert client.get("/employer/mutations/new/").status_code == 403


def test_the_list_says_since_when_by_whom_until_when(as_user, hr_admin, granted):
    granted.valid_until = timezone.localdate() + timedelta(days=30)
    granted.save()
    page = as_user(hr_admin).get("/employer/access/").content.decode()
    assert "fidu-rw@example.ch" in page and hr_admin.get_full_name() in page
    assert granted.valid_until.strftime("%d.%m.%Y") in page
    assert "Consultation et annonce de mutations" in page
    assert "hr@example.ch" in page  # the company's own users and their roles


def test_revoking_ends_the_third_partys_sessions_at_once(as_user, hr_admin, granted,
                                                         third_party_mutations):
    theirs = login_verified(Client(), third_party_mutations)
    assert theirs.get("/employer/").status_code == 200
    response = as_user(hr_admin).post(f"/employer/access/{granted.pk}/revoke/")
    assert response.status_code == 302
    granted.refresh_from_db()
    assert granted.revoked_at is not None
    next_request = theirs.get("/employer/")
    assert next_request.status_code == 302 and "/account/login/" in next_request["Location"]
    event = SecurityEvent.objects.get(kind="access_revoked")
    assert event.user == hr_admin and event.detail["membership_id"] == granted.pk


def test_a_revoked_third_party_logging_in_again_has_no_access(as_user, hr_admin, granted,
                                                              third_party_mutations):
    as_user(hr_admin).post(f"/employer/access/{granted.pk}/revoke/")
    again = login_verified(Client(), third_party_mutations)
    assert again.get("/employer/").status_code == 403


def test_changing_the_scope_takes_effect_at_the_next_request_and_is_audited(
        as_user, hr_admin, granted, third_party_mutations):
    theirs = login_verified(Client(), third_party_mutations)
    assert theirs.get("/employer/mutations/new/").status_code == 200
    response = as_user(hr_admin).post(f"/employer/access/{granted.pk}/",
                                      {"scope": "read", "valid_until": ""})
    assert response.status_code == 302
    assert theirs.get("/employer/mutations/new/").status_code == 403
    event = SecurityEvent.objects.get(kind="access_changed")
    assert event.detail["before"]["scope"] == "read_mutations"
    assert event.detail["after"]["scope"] == "read"


def test_an_expired_third_party_has_no_access_from_the_day_after(client, employer, hr_admin,
                                                                 terms):
    user = _make(f.UserFactory(email="late@example.ch"))
    f.MembershipFactory(user=user, kind="employer", role="third_party", employer=employer,
                        valid_until=timezone.localdate())
    login_verified(client, user)
    assert client.get("/employer/").status_code == 200
    Membership.objects.filter(user=user).update(
        valid_until=timezone.localdate() - timedelta(days=1))
    from django.core.cache import cache

    cache.clear()  # as at midnight: the cached rows stay, the date check runs on every read
    assert client.get("/employer/").status_code == 403


def test_an_invitation_is_cancelled_and_its_code_stops_working(as_user, hr_admin, invitation):
    as_user(hr_admin).post(f"/employer/access/invitations/{invitation.pk}/revoke/")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert SecurityEvent.objects.filter(kind="access_revoked",
                                        detail__stage="invitation").exists()


def test_another_companys_grant_cannot_be_changed_or_revoked(as_user, hr_admin, other_granted,
                                                             other_invitation):
    client = as_user(hr_admin)
    assert client.post(f"/employer/access/{other_granted.pk}/revoke/").status_code == 404
    assert client.post(f"/employer/access/{other_granted.pk}/",
                       {"scope": "mutations"}).status_code == 404
    assert client.post(
        f"/employer/access/invitations/{other_invitation.pk}/revoke/").status_code == 404
    other_granted.refresh_from_db()
    assert other_granted.revoked_at is None and not other_granted.grants_mutations


def test_an_admin_cannot_revoke_another_admin_here(as_user, hr_admin, employer, terms):
    colleague = _make(f.UserFactory(email="admin2@example.ch"))
    membership = f.MembershipFactory(user=colleague, kind="employer", role="admin",
                                     employer=employer)
    assert as_user(hr_admin).post(f"/employer/access/{membership.pk}/revoke/").status_code == 404


def test_invitations_are_limited_per_admin_and_day(as_user, hr_admin):
    client = as_user(hr_admin)
    for index in range(20):
        assert invite(client, email=f"f{index}@example.ch").status_code == 302
    refused = invite(client, email="one-too-many@example.ch")
    assert refused.status_code == 200 and "20 invitations en 24 heures" in refused.content.decode()
    assert not RegistrationCode.objects.filter(email="one-too-many@example.ch").exists()
