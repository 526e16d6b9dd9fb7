"""Four eyes on resetting the second factor of an employer HR admin or a staff account: one
colleague asks (with a reason), another one approves; only the approval resets and prints the
letter. Ordinary accounts are reset at once (test_admin_security)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections
from django.test import Client
from django_otp import devices_for_user

from accounts.models import FactorResetRequest, RegistrationCode, SecurityEvent
from accounts.services import (
    FactorResetRefused,
    factor_reset_approve,
    factor_reset_request,
)
from tests import factories as f
from tests.conftest import _make, login_verified, support_member

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
REQUESTS = "/admin/accounts/factorresetrequest/"


def _ask(client, user, reason="Téléphone perdu, appel du 3.2."):
    return client.post(USERS, {"action": "reset_second_factor", "post": "yes",
                               "reason": reason, "_selected_action": [user.pk]}, follow=True)


def _decide(client, reset_request, action):
    # A refusal asks for its reason (intermediate page); here it is given at once.
    return client.post(REQUESTS, {"action": action, "_selected_action": [reset_request.pk],
                                  "post": "yes", "reason": "Pas de demande de la personne."},
                       follow=True)


def test_an_hr_admin_is_not_reset_by_one_person(client, support, hr_admin):
    response = _ask(login_verified(client, support), hr_admin)

    assert response["Content-Type"].startswith("text/html")  # no letter yet
    assert "approbation d&#x27;un·e autre collègue" in response.content.decode()
    assert list(devices_for_user(hr_admin))
    assert not RegistrationCode.objects.exists()
    pending = FactorResetRequest.objects.get(user=hr_admin)
    assert (pending.status, pending.requested_by, pending.reason) == (
        "pending", support, "Téléphone perdu, appel du 3.2.")
    event = SecurityEvent.objects.get(user=hr_admin, kind="factor_reset_requested")
    assert event.detail["by"] == support.email


def test_the_one_who_asked_cannot_approve(client, supervisor, hr_admin):
    factor_reset_request(user=hr_admin, by=supervisor, reason="Téléphone perdu.")
    pending = FactorResetRequest.objects.get()

    response = _decide(login_verified(client, supervisor), pending, "approve_requests")

    assert response["Content-Type"].startswith("text/html")
    assert "un·e autre collègue doit l&#x27;approuver" in response.content.decode()
    assert list(devices_for_user(hr_admin))
    assert FactorResetRequest.objects.get().status == "pending"


def test_a_second_colleague_approves_and_gets_the_letter(client, support, supervisor,
                                                        supervisor2, hr_admin):
    _ask(login_verified(client, support), hr_admin)
    pending = FactorResetRequest.objects.get()

    response = _decide(login_verified(Client(), supervisor), pending, "approve_requests")

    assert response["Content-Type"] == "application/pdf"
    assert list(devices_for_user(hr_admin, confirmed=None)) == []
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", supervisor)
    assert SecurityEvent.objects.filter(user=hr_admin, kind="factor_reset_approved").exists()
    reset = SecurityEvent.objects.get(user=hr_admin, kind="factor_reset")
    assert reset.detail["requested_by"] == support.email
    assert reset.detail["reason"] == "Téléphone perdu, appel du 3.2."
    assert RegistrationCode.objects.get().email == hr_admin.email  # the re-enrolment code
    # A second approval of the same request does nothing more.
    again = _decide(login_verified(Client(), supervisor2), pending, "approve_requests")
    assert "déjà traité" in again.content.decode()
    assert RegistrationCode.objects.count() == 1


def test_a_rejected_request_resets_nothing(client, support, supervisor, hr_admin):
    _ask(login_verified(client, support), hr_admin)
    pending = FactorResetRequest.objects.get()
    _decide(login_verified(Client(), supervisor), pending, "reject_requests")
    pending.refresh_from_db()
    assert pending.status == "rejected"
    assert list(devices_for_user(hr_admin))
    assert SecurityEvent.objects.filter(user=hr_admin, kind="factor_reset_rejected").exists()
    assert _decide(client, pending, "approve_requests")["Content-Type"].startswith("text/html")
    assert list(devices_for_user(hr_admin))


def test_one_pending_request_per_account(client, support, colleague, hr_admin):
    _ask(login_verified(client, support), hr_admin)
    response = _ask(login_verified(Client(), colleague), hr_admin, reason="again")
    assert "attend déjà une approbation" in response.content.decode()
    assert FactorResetRequest.objects.count() == 1


def test_a_staff_account_needs_two_superusers(client, support, colleague, supervisor,
                                              superuser):
    other_superuser = _make(f.UserFactory(email="boss@example.ch", is_staff=True,
                                          is_superuser=True))
    # Support cannot even ask for a colleague.
    response = _ask(login_verified(client, support), colleague)
    assert "superutilisateur·trice" in response.content.decode()
    assert not FactorResetRequest.objects.exists()
    # A superuser asks; a supervisor may not approve; another superuser does.
    _ask(login_verified(Client(), superuser), colleague)
    pending = FactorResetRequest.objects.get()
    refused = _decide(login_verified(Client(), supervisor), pending, "approve_requests")
    assert "superutilisateur·trice" in refused.content.decode()
    assert list(devices_for_user(colleague))
    approved = _decide(login_verified(Client(), other_superuser), pending, "approve_requests")
    assert approved["Content-Type"] == "application/pdf"
    assert list(devices_for_user(colleague, confirmed=None)) == []


def test_nobody_approves_the_reset_of_his_own_account(superuser, colleague):
    other = _make(f.UserFactory(email="boss@example.ch", is_staff=True, is_superuser=True))
    outcome = factor_reset_request(user=superuser, by=other, reason="lost phone")
    with pytest.raises(FactorResetRefused):
        factor_reset_approve(reset_request=outcome.pending, by=superuser)
    assert list(devices_for_user(superuser))


def test_requests_cannot_be_added_or_deleted_in_the_admin(client, support, hr_admin):
    _ask(login_verified(client, support), hr_admin)
    pending = FactorResetRequest.objects.get()
    assert client.get(f"{REQUESTS}add/").status_code == 403
    assert client.post(f"{REQUESTS}{pending.pk}/delete/", {"post": "yes"}).status_code == 403
    assert FactorResetRequest.objects.filter(pk=pending.pk).exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_reset_once():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    f.TermsFactory(version=1)
    employer = f.EmployerFactory()
    target = _make(f.UserFactory(email="hr@example.ch"))
    f.MembershipFactory(user=target, kind="employer", role="admin", employer=employer)
    asker, first, second = (support_member(f"s{n}@example.ch") for n in range(3))
    pending = factor_reset_request(user=target, by=asker, reason="lost phone").pending
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(by) -> None:
        try:
            barrier.wait(timeout=10)
            factor_reset_approve(reset_request=FactorResetRequest.objects.get(pk=pending.pk),
                                 by=by)
            outcomes.append("approved")
        except FactorResetRefused:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(by,)) for by in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    assert RegistrationCode.objects.count() == 1
    assert SecurityEvent.objects.filter(user=target, kind="factor_reset").count() == 1
