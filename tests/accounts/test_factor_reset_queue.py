"""The queue of second-factor resets waiting for a second pair of eyes (employer admins and
staff), per duty group: only a supervisor (a superuser for a staff account) decides, never the
colleague who asked nor the account's owner; a refusal needs a reason; each decision is
audited."""

from __future__ import annotations

import pytest
from django.test import Client
from django_otp import devices_for_user

from accounts.models import AdminAudit, RegistrationCode, SecurityEvent
from accounts.services import factor_reset_request
from tests import factories as f
from tests.conftest import _make, login_verified

pytestmark = pytest.mark.django_db

QUEUE = "/admin/accounts/factorresetrequest/"


@pytest.fixture
def pending(hr_admin, agent):
    return factor_reset_request(user=hr_admin, by=agent, reason="Téléphone perdu.").pending


def _act(client, item, action, **extra):
    return client.post(QUEUE, {"action": action, "_selected_action": [item.pk], **extra},
                       follow=True)


@pytest.mark.parametrize("persona", ["agent", "account_manager"])
def test_agents_and_account_managers_cannot_approve_or_refuse(request, as_user, pending,
                                                              hr_admin, persona):
    colleague = request.getfixturevalue(persona)
    client = as_user(colleague)
    page = client.get(QUEUE)
    assert page.status_code == 200 and 'name="action"' not in page.content.decode()
    for action in ("approve_requests", "reject_requests"):
        assert _act(client, pending, action, post="yes", reason="x").status_code == 403
    pending.refresh_from_db()
    assert pending.status == "pending" and list(devices_for_user(hr_admin))
    assert AdminAudit.objects.filter(action="refused", actor=colleague).count() == 2


def test_a_supervisor_approves_an_hr_admins_reset_and_gets_the_letter(as_user, supervisor,
                                                                      pending, hr_admin):
    page = as_user(supervisor).get(QUEUE)
    assert [r.pk for r in page.context["cl"].result_list] == [pending.pk]

    response = _act(as_user(supervisor), pending, "approve_requests")

    assert response["Content-Type"] == "application/pdf"
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("approved", supervisor)
    assert list(devices_for_user(hr_admin, confirmed=None)) == []
    assert RegistrationCode.objects.get().email == hr_admin.email
    row = AdminAudit.objects.get(name="factor_reset_approve")
    assert (row.action, row.actor, row.subject) == ("action", supervisor, hr_admin)
    assert "Téléphone" not in str(row.detail)
    # Decided: no longer in the queue.
    assert list(as_user(supervisor).get(QUEUE).context["cl"].result_list) == []


def test_the_supervisor_who_asked_cannot_approve_a_second_one_can(supervisor, supervisor2,
                                                                  hr_admin):
    mine = factor_reset_request(user=hr_admin, by=supervisor, reason="Appel du 3.2.").pending

    refused = _act(login_verified(Client(), supervisor), mine, "approve_requests")

    assert "un·e autre collègue doit l&#x27;approuver" in refused.content.decode()
    assert list(devices_for_user(hr_admin))
    assert AdminAudit.objects.get(name="factor_reset_approve").action == "refused"
    approved = _act(login_verified(Client(), supervisor2), mine, "approve_requests")
    assert approved["Content-Type"] == "application/pdf"


def test_a_supervisor_cannot_decide_on_a_staff_account(superuser, supervisor, account_manager):
    asked = factor_reset_request(user=account_manager, by=superuser,
                                 reason="Nouveau téléphone.").pending
    response = _act(login_verified(Client(), supervisor), asked, "approve_requests")
    assert "superutilisateur·trice" in response.content.decode()
    assert list(devices_for_user(account_manager))


def test_nobody_approves_the_reset_of_their_own_account(superuser):
    other = _make(f.UserFactory(email="boss@example.ch", is_staff=True, is_superuser=True))
    asked = factor_reset_request(user=superuser, by=other, reason="Perdu.").pending
    response = _act(login_verified(Client(), superuser), asked, "approve_requests")
    assert "Personne n&#x27;approuve la réinitialisation de son propre compte" in (
        response.content.decode())
    assert list(devices_for_user(superuser))


@pytest.mark.parametrize("reason,message", [
    ("", "Ce champ est obligatoire."),
    ("x" * 10_000, "au plus 2000 caractères (actuellement 10000)"),
])
def test_a_refusal_needs_a_fitting_reason(as_user, supervisor, pending, reason, message):
    response = _act(as_user(supervisor), pending, "reject_requests", post="yes", reason=reason)
    assert message in response.content.decode()
    pending.refresh_from_db()
    assert pending.status == "pending"


def test_a_refusal_keeps_the_reason_in_the_security_history(as_user, supervisor, pending,
                                                            hr_admin):
    _act(as_user(supervisor), pending, "reject_requests", post="yes",
         reason="La personne n'a pas confirmé son identité.")
    pending.refresh_from_db()
    assert (pending.status, pending.decided_by) == ("rejected", supervisor)
    assert list(devices_for_user(hr_admin))
    event = SecurityEvent.objects.get(user=hr_admin, kind="factor_reset_rejected")
    assert event.detail["reason"] == "La personne n'a pas confirmé son identité."
    assert AdminAudit.objects.get(name="factor_reset_reject").subject == hr_admin
