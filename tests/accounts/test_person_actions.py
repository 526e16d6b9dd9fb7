"""The actions of the person page, each a page with a form, checked against its duty and
audited: reset the second factor (letter at once, or four eyes), unlock after a lockout (login
and our own code locks), deactivate on request (supervisor)."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.models import Permission
from django.test import Client
from django_otp import devices_for_user

from accounts.models import AdminAudit, FactorResetRequest, RegistrationCode, SecurityEvent
from accounts.services import second_factor_reset
from tests import factories as f
from tests.conftest import LOCKED, _make, fail, login_verified, post_password
from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db

CODE = re.compile(r"\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b")
REASON = "Appel du 3.2., téléphone perdu, identité vérifiée."


def url(user, action: str) -> str:
    return f"/admin/accounts/user/{user.pk}/person/{action}/"


@pytest.fixture
def reader(terms):
    """Staff who may read users but holds no duty of the back office."""
    user = _make(f.UserFactory(email="reader@example.ch", is_staff=True))
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    return user


def _main(page: str) -> str:
    """The page's own content (the header holds the logout form)."""
    return page.split('id="content-main"', 1)[1]


def _refused(client, user, path, method="get", data=None):
    response = getattr(client, method)(path, data or {})
    assert response.status_code == 403
    assert AdminAudit.objects.filter(actor=user, action="refused", path=path).exists()


# --- reset the second factor ----------------------------------------------------------------------


def test_the_reset_page_asks_for_a_reason_with_one_button(as_user, agent, insured):
    page = as_user(agent).get(url(insured, "reset-factor")).content.decode()
    assert 'name="reason"' in page
    assert _main(page).count('type="submit"') == 1
    assert "Réinitialiser et télécharger la lettre" in page


def test_without_a_reason_nothing_is_reset(as_user, agent, insured):
    response = as_user(agent).post(url(insured, "reset-factor"), {"reason": "  "})
    assert response.status_code == 200
    assert "Ce champ est obligatoire" in response.content.decode()
    assert list(devices_for_user(insured))
    assert not SecurityEvent.objects.filter(kind="factor_reset").exists()


@pytest.mark.parametrize("who", ["agent", "account_manager", "supervisor"])
def test_each_group_resets_an_insured_and_gets_the_letter(as_user, insured, who, request):
    staff = request.getfixturevalue(who)
    victim = login_verified(Client(), insured)
    response = as_user(staff).post(url(insured, "reset-factor"), {"reason": REASON})

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    text = " ".join(pdf_pages_text(response.content))
    code = CODE.search(text).group(1)
    assert RegistrationCode.objects.get(email=insured.email).hint == code[-4:]
    assert list(devices_for_user(insured, confirmed=None)) == []
    assert victim.get("/insured/").status_code == 302  # its session ended
    row = AdminAudit.objects.get(action="action", name="person_reset_factor")
    assert (row.actor, row.subject) == (staff, insured)
    assert row.detail == {"reason": REASON, "outcome": "reset"}
    assert code not in str(row.detail)
    assert SecurityEvent.objects.get(user=insured, kind="factor_reset").detail["reason"] == REASON


def test_the_letter_speaks_the_persons_language_not_the_colleagues(as_user, agent, insured):
    insured.language = "de"
    insured.save(update_fields=["language"])
    response = as_user(agent).post(url(insured, "reset-factor"), {"reason": REASON})
    text = " ".join(pdf_pages_text(response.content))
    assert "Geben Sie diesen Code ein" in text
    assert "Saisissez ce code" not in text


def test_an_hr_admin_gets_a_four_eyes_request_not_a_reset(as_user, agent, hr_admin):
    client = as_user(agent)
    assert "Demander la réinitialisation" in client.get(url(hr_admin, "reset-factor")).content.decode()
    response = client.post(url(hr_admin, "reset-factor"), {"reason": REASON})
    assert response.status_code == 302
    assert response["Location"] == f"/admin/accounts/user/{hr_admin.pk}/person/"
    assert list(devices_for_user(hr_admin))
    pending = FactorResetRequest.objects.get(user=hr_admin)
    assert (pending.status, pending.requested_by, pending.reason) == ("pending", agent, REASON)
    row = AdminAudit.objects.get(action="action", name="person_reset_factor")
    assert row.detail["outcome"] == "pending" and row.detail["reset_request_id"] == pending.pk
    page = client.get(response["Location"]).content.decode()
    assert "demandée par agent@example.ch" in page


def test_a_second_request_while_one_waits_is_refused(as_user, agent, account_manager, hr_admin):
    as_user(agent).post(url(hr_admin, "reset-factor"), {"reason": REASON})
    response = login_verified(Client(), account_manager).post(url(hr_admin, "reset-factor"),
                                                              {"reason": "again"})
    assert response.status_code == 200
    assert "attend déjà une approbation" in response.content.decode()
    assert FactorResetRequest.objects.count() == 1


def test_an_agent_cannot_reset_a_colleague(as_user, agent, supervisor):
    client = as_user(agent)
    page = client.get(url(supervisor, "reset-factor")).content.decode()
    assert "superutilisateur·trice" in page and 'name="reason"' not in page
    response = client.post(url(supervisor, "reset-factor"), {"reason": REASON})
    assert "superutilisateur·trice" in response.content.decode()
    assert list(devices_for_user(supervisor))
    assert not FactorResetRequest.objects.exists()
    assert AdminAudit.objects.get(name="person_reset_factor").detail["outcome"] == "refused"


def test_staff_without_the_duty_cannot_reset(reader, insured):
    client = login_verified(Client(), reader)
    _refused(client, reader, url(insured, "reset-factor"))
    _refused(client, reader, url(insured, "reset-factor"), "post", {"reason": REASON})
    assert list(devices_for_user(insured))


# --- unlock ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "account_manager", "supervisor"])
def test_each_group_unlocks_a_locked_login(as_user, insured, who, request):
    staff = request.getfixturevalue(who)
    fail(Client(), insured.email, 10)
    assert LOCKED in post_password(Client(), insured.email).content.decode()
    client = as_user(staff)
    page = client.get(url(insured, "unlock")).content.decode()
    assert "Connexion bloquée : oui" in page

    response = client.post(url(insured, "unlock"))

    assert response.status_code == 302
    assert not AccessAttempt.objects.exists()
    assert "token-otp_token" in post_password(Client(), insured.email).content.decode()
    row = AdminAudit.objects.get(action="action", name="person_unlock")
    assert (row.actor, row.subject) == (staff, insured)
    assert row.detail["outcome"] == "unlocked" and row.detail["login_failures"] == 10
    assert SecurityEvent.objects.filter(user=insured, kind="account_unlocked").exists()


def test_unlock_lifts_our_own_lock_on_the_reactivation_code(as_user, agent, insured):
    from accounts.reenrol import reenrol_code_issue

    second_factor_reset(user=insured, by=agent)
    issued = reenrol_code_issue(user=insured, by=agent)
    person = Client()
    person.force_login(insured, backend="accounts.backends.EmailOrAhvBackend")
    for _ in range(5):
        person.post("/account/two_factor/reenrol/", {"code": "AAAA-BBBB-CCCC"})
    locked = person.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert "bloquée pendant une heure" in locked.content.decode()
    client = as_user(agent)
    assert "Saisie de code bloquée (enregistrement ou lettre de réactivation) : oui" in (
        client.get(url(insured, "unlock")).content.decode())

    client.post(url(insured, "unlock"))

    response = person.post("/account/two_factor/reenrol/", {"code": issued.plain})
    assert response["Location"] == "/account/two_factor/setup/"
    assert AdminAudit.objects.get(name="person_unlock").detail["code_locks"] == 1


def test_an_agent_cannot_unlock_a_colleague(as_user, agent, supervisor):
    fail(Client(), supervisor.email, 10)
    response = as_user(agent).post(url(supervisor, "unlock"))
    assert response.status_code == 200
    assert AccessAttempt.objects.exists()


def test_staff_without_the_duty_cannot_unlock(reader, insured):
    fail(Client(), insured.email, 10)
    _refused(login_verified(Client(), reader), reader, url(insured, "unlock"), "post")
    assert AccessAttempt.objects.exists()


# --- deactivate ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["agent", "account_manager"])
def test_only_a_supervisor_deactivates(as_user, insured, who, request):
    staff = request.getfixturevalue(who)
    client = as_user(staff)
    _refused(client, staff, url(insured, "deactivate"))
    _refused(client, staff, url(insured, "deactivate"), "post", {"reason": REASON})
    insured.refresh_from_db()
    assert insured.is_active


def test_a_deactivation_needs_a_reason(as_user, supervisor, insured):
    response = as_user(supervisor).post(url(insured, "deactivate"), {"reason": ""})
    assert response.status_code == 200 and "Ce champ est obligatoire" in response.content.decode()
    insured.refresh_from_db()
    assert insured.is_active and insured.insured_person is not None


def test_a_supervisor_deactivates_and_keeps_the_pension_record(as_user, supervisor, insured):
    person = insured.insured_person
    document = f.InsuredPersonFactory._meta.model.objects.get(pk=person.pk).documents.create(
        category="letter", title="Courrier", year=2026)
    victim = login_verified(Client(), insured)
    assert victim.get("/insured/").status_code == 200
    client = as_user(supervisor)
    assert _main(client.get(url(insured, "deactivate")).content.decode()).count(
        'type="submit"') == 1

    response = client.post(url(insured, "deactivate"), {"reason": "Demande écrite du 3.2."})

    assert response.status_code == 302
    insured.refresh_from_db()
    assert not insured.is_active and insured.insured_person is None
    assert victim.get("/insured/").status_code == 302  # every session ended at once
    assert not insured.memberships.filter(revoked_at__isnull=True).exists()
    assert list(devices_for_user(insured))  # kept, but the account cannot log in
    person.refresh_from_db()
    assert person.certificates.count() == 1 and person.documents.get() == document
    assert "Nom d&#x27;utilisateur ou mot de passe incorrect" in post_password(
        Client(), insured.email).content.decode()
    event = SecurityEvent.objects.get(user=insured, kind="account_deactivated")
    assert event.detail["reason"] == "Demande écrite du 3.2." and event.detail["by"] == supervisor.email
    row = AdminAudit.objects.get(action="action", name="person_deactivate")
    assert (row.actor, row.subject) == (supervisor, insured)
    assert row.detail["outcome"] == "deactivated" and row.detail["sessions_ended"] >= 1
    from accounts.models import OutboxMessage

    assert OutboxMessage.objects.filter(recipient=insured.email,
                                        subject="Votre compte a été désactivé").exists()
    page = client.get(response["Location"]).content.decode()
    assert "Compte désactivé" in page
    assert url(insured, "reset-factor") not in page


def test_the_person_page_of_the_insured_person_lists_the_former_account(as_user, supervisor,
                                                                       insured):
    person = insured.insured_person
    as_user(supervisor).post(url(insured, "deactivate"), {"reason": REASON})
    page = as_user(supervisor).get(f"/admin/policies/insuredperson/{person.pk}/person/")
    assert page.status_code == 200
    assert "Anciens comptes" in page.content.decode() and insured.email in page.content.decode()


def test_a_supervisor_cannot_deactivate_a_colleague(as_user, supervisor, agent):
    response = as_user(supervisor).post(url(agent, "deactivate"), {"reason": REASON})
    assert "superutilisateur·trice" in response.content.decode()
    agent.refresh_from_db()
    assert agent.is_active


def test_a_deactivated_account_is_not_deactivated_twice(as_user, supervisor, insured):
    client = as_user(supervisor)
    client.post(url(insured, "deactivate"), {"reason": REASON})
    again = client.post(url(insured, "deactivate"), {"reason": REASON})
    assert "déjà désactivé" in again.content.decode()
    assert SecurityEvent.objects.filter(kind="account_deactivated").count() == 1


# --- the older list actions check the same duties ---------------------------------------------------


def test_the_user_list_offers_the_actions_only_with_the_duty(reader, agent, insured):
    assert "reset_second_factor" in login_verified(Client(), agent).get(
        "/admin/accounts/user/").content.decode()
    client = login_verified(Client(), reader)
    page = client.get("/admin/accounts/user/").content.decode()
    assert "reset_second_factor" not in page and "unlock_login" not in page
    client.post("/admin/accounts/user/", {"action": "reset_second_factor", "post": "yes",
                                          "reason": REASON, "_selected_action": [insured.pk]})
    assert list(devices_for_user(insured))


def test_the_list_unlock_records_the_unlock(agent, insured):
    fail(Client(), insured.email, 10)
    login_verified(Client(), agent).post("/admin/accounts/user/", {
        "action": "unlock_login", "_selected_action": [insured.pk]})
    assert not AccessAttempt.objects.exists()
    assert SecurityEvent.objects.get(user=insured, kind="account_unlocked").detail["by"] == (
        agent.email)
