"""Access requests in the admin, per duty group: approve (grant and code) or reject with a
mandatory reason; the requester is told either way, by e-mail, in the language of the request."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import AccessRequest, AdminAudit, OutboxMessage, RegistrationCode
from tests import factories as f
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

REQUESTS = "/admin/accounts/accessrequest/"


def _request(language="fr", **extra) -> AccessRequest:
    data = {"kind": "employer", "organisation_name": "Schreinerei Huber AG",
            "organisation_number": f.next_uid(), "contact_first_name": "Uta",
            "contact_last_name": "Huber", "email": "uta@huber.ch", "mobile": "+41791234567",
            "language": language, **extra}
    return AccessRequest.objects.create(**data)


@pytest.fixture
def decider(request):
    return request.getfixturevalue(request.param)


@pytest.mark.parametrize("decider", ["account_manager", "supervisor"], indirect=True)
def test_a_decider_approves_and_the_requester_gets_the_code_in_german(decider):
    access_request = _request("de")
    client = login_verified(Client(), decider)
    page = client.get(f"{REQUESTS}{access_request.pk}/change/").content.decode()
    assert "Approuver et télécharger la lettre" in page
    response = client.post(f"{REQUESTS}{access_request.pk}/approve/")
    assert response["Content-Type"] == "application/pdf"
    access_request.refresh_from_db()
    assert access_request.status == "approved"
    code = RegistrationCode.objects.get()
    assert code.employer == access_request.employer and code.email == "uta@huber.ch"
    mail = OutboxMessage.objects.get(recipient="uta@huber.ch")
    assert "Registrierungscode" in mail.subject + mail.body
    row = AdminAudit.objects.get(name="approve_access_request")
    assert row.actor == decider and row.detail == {"approved": True}


@pytest.mark.parametrize("decider", ["account_manager", "supervisor"], indirect=True)
def test_a_decider_rejects_with_a_reason_the_requester_reads_in_italian(decider):
    access_request = _request("it")
    client = login_verified(Client(), decider)
    response = client.post(f"{REQUESTS}{access_request.pk}/reject/",
                           {"reason": "Numero IDE sconosciuto al registro di commercio."})
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "rejected" and access_request.decided_by == decider
    mail = OutboxMessage.objects.get(recipient="uta@huber.ch")
    assert mail.subject == "La sua richiesta di accesso al portale"
    assert "Non possiamo dare seguito" in mail.body
    assert "Numero IDE sconosciuto al registro di commercio." in mail.body
    assert not RegistrationCode.objects.exists()
    row = AdminAudit.objects.get(name="reject_access_request")
    assert row.actor == decider and row.detail == {"rejected": True}


def test_a_rejection_without_a_reason_asks_for_it_and_changes_nothing(as_user, account_manager):
    access_request = _request()
    client = as_user(account_manager)
    for data in ({}, {"reason": "   "}):
        response = client.post(f"{REQUESTS}{access_request.pk}/reject/", data)
        assert response.status_code == 200
        assert "Indiquez le motif du refus" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == "pending"
    assert not OutboxMessage.objects.exists()
    # The same page is where the reject link of the list leads.
    page = client.get(f"{REQUESTS}{access_request.pk}/reject/").content.decode()
    assert "Motif du refus (obligatoire" in page


def test_the_reject_action_asks_for_one_reason_then_tells_each_requester(as_user,
                                                                        account_manager):
    first, second = _request("fr"), _request("en", email="bob@huber.ch")
    client = as_user(account_manager)
    selected = {"action": "reject_requests", "_selected_action": [first.pk, second.pk]}
    page = client.post(REQUESTS, selected)
    assert page.status_code == 200 and "Motif du refus" in page.content.decode()
    assert AccessRequest.objects.filter(status="pending").count() == 2
    response = client.post(REQUESTS, {**selected, "post": "yes", "reason": ""})
    assert "Indiquez le motif du refus" in response.content.decode()
    assert AccessRequest.objects.filter(status="pending").count() == 2
    client.post(REQUESTS, {**selected, "post": "yes", "reason": "Doublon"})
    assert AccessRequest.objects.filter(status="rejected").count() == 2
    english = OutboxMessage.objects.get(recipient="bob@huber.ch")
    assert "We cannot grant your request" in english.body and "Doublon" in english.body
    assert OutboxMessage.objects.get(recipient="uta@huber.ch").body.count("Doublon") == 1


def test_an_agent_may_not_decide(as_user, agent):
    access_request = _request()
    client = as_user(agent)
    page = client.get(REQUESTS).content.decode()
    assert "approve_requests" not in page and "reject_requests" not in page
    change = client.get(f"{REQUESTS}{access_request.pk}/change/").content.decode()
    assert "Approuver et télécharger la lettre" not in change
    for action in ("approve", "reject"):
        url = f"{REQUESTS}{access_request.pk}/{action}/"
        assert client.post(url, {"reason": "x"}).status_code == 403
        assert AdminAudit.objects.filter(action="refused", actor=agent, path=url).exists()
    client.post(REQUESTS, {"action": "approve_requests", "_selected_action": [access_request.pk]})
    access_request.refresh_from_db()
    assert access_request.status == "pending"
    assert not RegistrationCode.objects.exists() and not OutboxMessage.objects.exists()


def test_only_a_supervisor_confirms_access_to_an_organisation_with_users(
        as_user, agent, account_manager, supervisor, hr_admin, employer):
    access_request = _request(organisation_number=employer.uid)
    url = f"{REQUESTS}{access_request.pk}/confirm/"
    for staff in (agent, account_manager):
        assert as_user(staff).post(url).status_code == 403
        assert AdminAudit.objects.filter(action="refused", actor=staff, path=url).exists()
    # Approving before the confirmation is refused, whoever asks.
    as_user(account_manager).post(f"{REQUESTS}{access_request.pk}/approve/")
    access_request.refresh_from_db()
    assert access_request.status == "pending" and access_request.confirmed_at is None
    assert as_user(supervisor).post(url).status_code == 302
    access_request.refresh_from_db()
    assert access_request.confirmed_by == supervisor
    response = as_user(account_manager).post(f"{REQUESTS}{access_request.pk}/approve/")
    assert response["Content-Type"] == "application/pdf"
