"""Public access requests, and support deciding them (and issuing codes) in the admin."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts.models import (
    AccessRequest,
    OutboxMessage,
    RegistrationCode,
    SecurityEvent,
    hash_code,
)
from policies.models import Agency, Employer
from tests import factories as f

pytestmark = pytest.mark.django_db

EMPLOYER_FORM = {
    "organisation_name": "Menuiserie Rochat SA",
    "organisation_number": "",  # set per test
    "contact_first_name": "Sophie",
    "contact_last_name": "Rochat",
    "email": "Sophie@Rochat.ch",
    "mobile": "079 555 12 34",
    "language": "fr",
}


@pytest.fixture
def uid():
    return f.next_uid()


def _request(kind="employer", number="CHE-000.000.000", **extra):
    data = {**EMPLOYER_FORM, "organisation_number": number, **extra}
    return AccessRequest.objects.create(
        kind=kind, **{k: v for k, v in data.items() if k != "email"},
        email=data["email"].lower(),
    )


def test_the_employer_form_is_public_and_asks_for_the_uid(client):
    response = client.get("/access-request/employer/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Numéro IDE (CHE-123.456.789)" in page and "Téléphone portable" in page


def test_an_employer_request_is_stored_and_confirmed(client, uid):
    digits = uid.replace("CHE-", "CHE").replace(".", "")
    response = client.post("/access-request/employer/",
                           {**EMPLOYER_FORM, "organisation_number": digits}, follow=True)
    assert response.redirect_chain[-1][0] == "/access-request/sent/"
    assert "votre demande a été envoyée" in response.content.decode()
    request = AccessRequest.objects.get()
    assert request.kind == "employer" and request.status == "pending"
    assert request.organisation_number == uid  # CHE-xxx.xxx.xxx
    assert request.mobile == "+41795551234" and request.email == "sophie@rochat.ch"


def test_it_refuses_an_invalid_uid(client):
    response = client.post("/access-request/employer/",
                           {**EMPLOYER_FORM, "organisation_number": "CHE-123.456.789"})
    assert "Numéro IDE invalide" in response.content.decode()
    assert not AccessRequest.objects.exists()


def test_it_refuses_a_landline(client, uid):
    response = client.post("/access-request/employer/",
                           {**EMPLOYER_FORM, "organisation_number": uid,
                            "mobile": "021 555 12 34"})
    assert "pas un numéro de téléphone portable" in response.content.decode()


def test_a_broker_request_takes_the_register_number(client):
    page = client.get("/access-request/broker/").content.decode()
    assert "registre des intermédiaires" in page
    client.post("/access-request/broker/", {**EMPLOYER_FORM, "organisation_name": "Courtage SA",
                                            "organisation_number": "f 12345678"})
    request = AccessRequest.objects.get()
    assert request.kind == "broker" and request.organisation_number == "F 12345678"


# --- support decides in the admin ---------------------------------------------------------------


def test_support_approves_a_request_and_gets_the_letter(as_user, account_manager, uid):
    access_request = _request(number=uid)
    client = as_user(account_manager)
    response = client.post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/",
                           {"decision_note": "IDE vérifié"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    access_request.refresh_from_db()
    assert access_request.status == "approved" and access_request.decided_by == account_manager
    assert access_request.decision_note == "IDE vérifié"
    employer = Employer.objects.get(uid=uid)
    assert access_request.employer == employer and employer.name == "Menuiserie Rochat SA"
    code = RegistrationCode.objects.get()
    assert (code.kind, code.role, code.employer, code.email) == (
        "employer", "admin", employer, "sophie@rochat.ch")
    mail = OutboxMessage.objects.get(channel="email", recipient="sophie@rochat.ch")
    plain = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", mail.body).group(0)
    assert hash_code(plain) == code.code_hash
    assert "/register/code/" in mail.body
    event = SecurityEvent.objects.get(kind="access_decision")
    assert event.user == account_manager and event.detail["decision"] == "approved"
    assert plain not in str(event.detail)
    # The admin explains that the letter cannot be printed again.
    page = client.get("/admin/accounts/accessrequest/").content.decode()
    assert "ne pourra pas être réimprimé" in page


def test_approval_links_an_existing_employer(as_user, account_manager, employer):
    access_request = _request(number=employer.uid)
    as_user(account_manager).post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/")
    assert Employer.objects.count() == 1
    assert RegistrationCode.objects.get().employer == employer


def test_approving_a_broker_request_creates_the_agency_grant(as_user, account_manager):
    access_request = _request(kind="broker", number="F 12345678")
    as_user(account_manager).post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/")
    agency = Agency.objects.get(register_number="F 12345678")
    code = RegistrationCode.objects.get()
    assert (code.kind, code.role, code.agency) == ("broker", "broker", agency)


def test_a_request_is_decided_only_once(as_user, account_manager, uid):
    access_request = _request(number=uid)
    client = as_user(account_manager)
    client.post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/")
    response = client.post(f"/admin/accounts/accessrequest/{access_request.pk}/approve/")
    assert response.status_code == 302
    assert RegistrationCode.objects.count() == 1


def test_the_admin_action_approves_several_and_returns_one_pdf(as_user, account_manager, uid):
    first = _request(number=uid)
    second = _request(kind="broker", number="F 999")
    response = as_user(account_manager).post("/admin/accounts/accessrequest/", {
        "action": "approve_requests", "_selected_action": [first.pk, second.pk],
    })
    assert response["Content-Type"] == "application/pdf"
    assert RegistrationCode.objects.count() == 2
    assert OutboxMessage.objects.filter(channel="email").count() == 2


def test_support_rejects_a_request_and_the_decision_is_recorded(as_user, account_manager):
    access_request = _request()
    client = as_user(account_manager)
    response = client.post(f"/admin/accounts/accessrequest/{access_request.pk}/reject/",
                           {"reason": "Entreprise inconnue"})
    assert response.status_code == 302
    access_request.refresh_from_db()
    assert access_request.status == "rejected" and access_request.decided_at is not None
    assert access_request.decision_note == "Entreprise inconnue"
    assert not RegistrationCode.objects.exists()
    event = SecurityEvent.objects.get(kind="access_decision")
    assert event.detail["decision"] == "rejected"


def test_the_change_form_offers_the_decision_buttons(as_user, account_manager):
    access_request = _request()
    page = as_user(account_manager).get(
        f"/admin/accounts/accessrequest/{access_request.pk}/change/").content.decode()
    assert "Approuver et télécharger la lettre" in page and "Refuser" in page


def test_an_invalid_uid_is_not_approved(as_user, account_manager):
    access_request = _request(number="CHE-123.456.789")
    response = as_user(account_manager).post(
        f"/admin/accounts/accessrequest/{access_request.pk}/approve/", follow=True)
    assert "invalide" in response.content.decode()
    access_request.refresh_from_db()
    assert access_request.status == "pending"


def test_others_cannot_decide(as_user, hr_admin, uid):
    access_request = _request(number=uid)
    response = as_user(hr_admin).post(
        f"/admin/accounts/accessrequest/{access_request.pk}/approve/")
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not RegistrationCode.objects.exists()


# --- codes for insured persons ------------------------------------------------------------------


def test_support_issues_a_code_for_an_insured_person_as_a_letter(as_user, agent, insured_person):
    client = as_user(agent)
    assert client.get("/admin/accounts/registrationcode/add/")["Location"].endswith("/issue/")
    page = client.get("/admin/accounts/registrationcode/issue/").content.decode()
    assert "Numéro AVS" in page
    response = client.post("/admin/accounts/registrationcode/issue/",
                           {"ahv_number": insured_person.ahv_number.replace(".", ""),
                            "days": "30"})
    assert response["Content-Type"] == "application/pdf"
    code = RegistrationCode.objects.get()
    assert code.insured_person == insured_person and code.kind == "insured"
    assert code.created_by == agent


def test_the_letter_masks_the_ahv_number(agent, insured_person):
    from accounts import registration as reg
    from accounts.admin_registration import insured_letter

    issued = reg.registration_code_issue(kind="insured", role="insured",
                                         insured_person=insured_person, created_by=agent)
    letter = insured_letter(issued)
    assert "756.****.****." in letter.reference
    assert insured_person.ahv_number not in letter.reference
    assert letter.code == issued.plain


def test_support_revokes_codes(as_user, agent, insured_person):
    from accounts import registration as reg

    issued = reg.registration_code_issue(kind="insured", role="insured",
                                         insured_person=insured_person, created_by=agent)
    as_user(agent).post("/admin/accounts/registrationcode/", {
        "action": "revoke_codes", "_selected_action": [issued.code.pk],
    })
    assert RegistrationCode.objects.get().revoked_at is not None


# --- CSRF -------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [
    "/access-request/employer/", "/access-request/broker/", "/register/", "/register/code/",
    "/register/user/", "/register/email/", "/register/email/resend/", "/register/factor/",
    "/register/confirm/", "/register/confirm/resend/", "/register/cancel/",
])
def test_posts_without_a_csrf_token_are_refused(path):
    client = Client(enforce_csrf_checks=True)
    response = client.post(path, {"code": "x"})
    assert response.status_code == 403


def test_a_flood_of_access_requests_from_one_address_is_refused_politely(client):
    from accounts.models import AccessRequest

    data = {
        "organisation_name": "Flood SA", "organisation_number": "CHE-116.281.710",
        "contact_first_name": "Flo", "contact_last_name": "Od", "email": "flo@example.ch",
        "mobile": "079 123 45 67", "language": "fr",
    }
    statuses = [client.post("/access-request/employer/", data).status_code for _ in range(6)]
    assert statuses == [302] * 5 + [200]
    assert AccessRequest.objects.count() == 5
    last = client.post("/access-request/employer/", data)
    assert "trop de demandes" in last.content.decode()
