"""Issue item 1: support took over a superuser (set his password in the admin, reset his second
factor, read the letter's code, enrol a new factor). Nobody sets another person's password;
only a superuser acts on a staff account; a staff colleague is invited, never created with a
password."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.test import Client
from django_otp import devices_for_user

from accounts.models import Membership, OutboxMessage, RegistrationCode, SecurityEvent, User
from accounts.services import backup_codes_regenerate
from tests.conftest import PASSWORD, STRONG, login_verified, register_with_code

pytestmark = pytest.mark.django_db

USERS = "/admin/accounts/user/"
NEW_PASSWORD = "Stolen-Keys-2026!"


def _password_unchanged(user) -> bool:
    user.refresh_from_db()
    return user.check_password(PASSWORD) and not user.check_password(NEW_PASSWORD)


def test_support_cannot_take_over_a_superuser(client, support, superuser):
    login_verified(client, support)
    # 1. a new password through the admin password form
    response = client.post(f"{USERS}{superuser.pk}/password/", {
        "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    assert response.status_code == 404
    assert _password_unchanged(superuser)
    # 2. the "reset second factor" action on the same account (reason given)
    response = client.post(USERS, {"action": "reset_second_factor", "post": "yes",
                                   "reason": "lost phone", "_selected_action": [superuser.pk]},
                           follow=True)
    assert response["Content-Type"].startswith("text/html")  # no letter, no code
    assert "seul·e un·e superutilisateur·trice" in response.content.decode().lower()
    assert list(devices_for_user(superuser))
    assert not RegistrationCode.objects.exists()
    assert not SecurityEvent.objects.filter(user=superuser, kind__startswith="factor_reset")
    # 3. nor through his e-mail address (then "forgotten password"), nor by deactivating him
    response = client.post(f"{USERS}{superuser.pk}/change/", {
        "email": "mine@example.ch", "first_name": "", "last_name": "", "language": "fr",
        "date_joined_0": "01.01.2026", "date_joined_1": "08:00",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 403
    superuser.refresh_from_db()
    assert superuser.email == "admin@example.ch" and superuser.is_active


def test_nobody_sets_a_password_in_the_admin_not_even_a_superuser(client, superuser, insured):
    login_verified(client, superuser)
    for target in (insured, superuser):
        assert client.get(f"{USERS}{target.pk}/password/").status_code == 404
        response = client.post(f"{USERS}{target.pk}/password/", {
            "password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
        assert response.status_code == 404
        assert _password_unchanged(target)
    page = client.get(f"{USERS}{insured.pk}/change/").content.decode()
    assert 'name="password' not in page and "/password/" not in page
    assert "Mot de passe défini" in page and "argon2" not in page


def test_support_cannot_change_a_colleague_nor_himself(client, support, colleague):
    login_verified(client, support)
    for target in (colleague, support):
        page = client.get(f"{USERS}{target.pk}/change/")
        assert page.status_code == 200  # read only
        assert 'name="is_active"' not in page.content.decode()
        response = client.post(f"{USERS}{target.pk}/change/", {
            "email": target.email, "first_name": "", "last_name": "", "language": "fr",
            "date_joined_0": "01.01.2026", "date_joined_1": "08:00",
            "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
        })
        assert response.status_code == 403
        target.refresh_from_db()
        assert target.is_active and target.is_staff


def test_support_still_edits_an_ordinary_account(client, support, insured):
    login_verified(client, support)
    response = client.post(f"{USERS}{insured.pk}/change/", {
        "email": insured.email, "first_name": "Claire", "last_name": "Favre-Muller",
        "language": "de", "is_active": "on",
        "date_joined_0": "01.01.2026", "date_joined_1": "08:00",
        "memberships-TOTAL_FORMS": "1", "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": insured.memberships.get().pk, "memberships-0-user": insured.pk,
        "memberships-0-kind": "insured", "memberships-0-role": "insured",
        "memberships-0-insured_person": insured.insured_person_id,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    insured.refresh_from_db()
    assert insured.last_name == "Favre-Muller" and insured.language == "de"
    assert _password_unchanged(insured)


def test_support_cannot_redirect_an_account_to_another_login_or_person(client, support, insured,
                                                                      other_insured):
    """The e-mail is where reset codes go, the linked person whose pension the account sees."""
    login_verified(client, support)
    membership = insured.memberships.get()
    response = client.post(f"{USERS}{insured.pk}/change/", {
        "email": "mallory@example.ch", "insured_person": other_insured.insured_person_id,
        "first_name": "Claire", "last_name": "Favre", "language": "fr", "is_active": "on",
        "date_joined_0": "01.01.2026", "date_joined_1": "08:00",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "1",
        "memberships-0-id": membership.pk, "memberships-0-user": insured.pk,
        "memberships-0-kind": "insured", "memberships-0-role": "insured",
        "memberships-0-insured_person": other_insured.insured_person_id,
        "memberships-1-user": insured.pk, "memberships-1-kind": "employer",
        "memberships-1-role": "admin", "memberships-1-employer": other_insured.insured_person.contract.employer_id,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    insured.refresh_from_db()
    membership.refresh_from_db()
    assert insured.email == "claire@example.ch"
    assert insured.insured_person_id != other_insured.insured_person_id
    assert membership.insured_person_id == insured.insured_person_id
    assert insured.memberships.count() == 1


def test_support_cannot_grant_portal_access_in_the_membership_admin(client, support, insured,
                                                                   employer):
    login_verified(client, support)
    assert client.get("/admin/accounts/membership/add/").status_code == 403
    response = client.post("/admin/accounts/membership/add/", {
        "user": insured.pk, "kind": "employer", "role": "admin", "employer": employer.pk})
    assert response.status_code == 403
    assert insured.memberships.count() == 1
    own = insured.memberships.get()
    assert client.post(f"/admin/accounts/membership/{own.pk}/change/", {
        "user": insured.pk, "kind": "employer", "role": "admin", "employer": employer.pk,
    }).status_code == 403


def test_support_cannot_unlock_or_deactivate_a_staff_account(client, support, colleague):
    login_verified(client, support)
    response = client.post(USERS, {"action": "unlock_login",
                                   "_selected_action": [colleague.pk]}, follow=True)
    assert "seul·e un·e superutilisateur·trice" in response.content.decode().lower()


def test_support_cannot_open_accounts_in_the_admin(client, support):
    login_verified(client, support)
    assert client.get(f"{USERS}add/").status_code == 403
    response = client.post(f"{USERS}add/", {"email": "new@example.ch",
                                            "password1": STRONG, "password2": STRONG})
    assert response.status_code == 403
    assert client.get(f"{USERS}invite/").status_code == 403
    assert client.post(f"{USERS}invite/", {"email": "x@fund.ch", "days": 7}).status_code == 403
    assert not User.objects.filter(email__in=["new@example.ch", "x@fund.ch"]).exists()
    assert not RegistrationCode.objects.exists()


def _invite(client, email: str, *groups: Group) -> str:
    assert client.get(f"{USERS}add/")["Location"] == f"{USERS}invite/"
    response = client.post(f"{USERS}invite/", {
        "email": email, "days": 7, "groups": [g.pk for g in groups]})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = re.search(r'class="invitation-code">([A-Z0-9-]+)<', response.content.decode())
    return plain.group(1)


def test_a_superuser_invites_a_colleague_who_opens_his_own_account(client, superuser):
    group = Group.objects.create(name="Support")
    plain = _invite(login_verified(client, superuser), "Nouvelle@Fund.ch", group)
    mail = OutboxMessage.objects.get(recipient="nouvelle@fund.ch")
    assert plain in mail.body and "/register/code/" in mail.body
    assert SecurityEvent.objects.get(kind="staff_invited").detail["groups"] == ["Support"]

    response = register_with_code(Client(), plain, "nouvelle@fund.ch")

    assert response.status_code == 200
    colleague = User.objects.get(email="nouvelle@fund.ch")
    assert colleague.is_staff and not colleague.is_superuser
    assert list(colleague.groups.all()) == [group]
    assert not Membership.objects.filter(user=colleague).exists()
    assert colleague.check_password(STRONG)  # her own password, chosen by nobody else
    assert colleague.totpdevice_set.filter(confirmed=True).exists()


def test_an_invitation_opens_only_the_invited_address(client, superuser):
    plain = _invite(login_verified(client, superuser), "invited@fund.ch")
    other = Client()
    other.post("/register/code/", {"code": plain, "accept_terms": "on"})
    response = other.post("/register/user/", {"email": "attacker@example.ch",
                                               "password1": STRONG, "password2": STRONG})
    assert response.status_code == 200
    assert "envoyé à une autre adresse e-mail" in response.content.decode()
    assert not OutboxMessage.objects.filter(recipient="attacker@example.ch").exists()
    assert not User.objects.filter(email="attacker@example.ch").exists()


def test_an_existing_account_redeems_its_invitation_and_becomes_staff(client, superuser,
                                                                     insured):
    group = Group.objects.create(name="Support")
    plain = _invite(login_verified(client, superuser), insured.email.upper(), group)
    owner = login_verified(Client(), insured)
    response = owner.post("/register/code/add/", {"code": plain})
    assert response["Location"] == "/admin/"
    insured.refresh_from_db()
    assert insured.is_staff and list(insured.groups.all()) == [group]
    assert insured.memberships.count() == 1  # no new portal access


def test_an_invitation_does_not_work_on_someone_elses_account(client, superuser, insured,
                                                            other_insured):
    plain = _invite(login_verified(client, superuser), insured.email)
    response = login_verified(Client(), other_insured).post("/register/code/add/",
                                                            {"code": plain})
    assert response.status_code == 200 and "pas valable" in response.content.decode()
    other_insured.refresh_from_db()
    assert not other_insured.is_staff
    assert RegistrationCode.objects.get().redeemed_at is None


def test_an_issued_code_cannot_be_edited_into_a_staff_invitation(client, agent,
                                                                 insured_person):
    login_verified(client, agent)
    client.post("/admin/accounts/registrationcode/issue/",
                {"ahv_number": insured_person.ahv_number, "days": 90})
    code = RegistrationCode.objects.get()
    group = Group.objects.create(name="Admins")
    client.post(f"/admin/accounts/registrationcode/{code.pk}/change/", {
        "kind": "staff", "role": "insured", "email": "me@example.ch",
        "staff_groups": [group.pk], "expires_at_0": "01.01.2030", "expires_at_1": "00:00",
    })
    code.refresh_from_db()
    assert (code.kind, code.email, list(code.staff_groups.all())) == ("insured", "", [])


def test_a_factor_reset_of_an_ordinary_account_still_works_at_once(client, support, insured):
    backup_codes_regenerate(user=insured)
    login_verified(client, support)
    response = client.post(USERS, {"action": "reset_second_factor", "post": "yes",
                                   "reason": "Téléphone perdu", "_selected_action": [insured.pk]})
    assert response["Content-Type"] == "application/pdf"
    assert list(devices_for_user(insured, confirmed=None)) == []


def test_the_reason_is_mandatory(client, support, insured):
    login_verified(client, support)
    response = client.post(USERS, {"action": "reset_second_factor", "post": "yes",
                                   "reason": "  ", "_selected_action": [insured.pk]})
    assert response.status_code == 200
    assert 'name="reason"' in response.content.decode()
    assert list(devices_for_user(insured))


def test_support_does_not_delete_staff_accounts_even_with_the_permission(client, support,
                                                                         colleague):
    support.user_permissions.add(Permission.objects.get(codename="delete_user"))
    login_verified(client, support)
    assert client.post(f"{USERS}{colleague.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


def test_the_user_page_names_the_devices_without_secrets(client, superuser, insured):
    device = insured.totpdevice_set.get()
    backup_codes_regenerate(user=insured)
    page = login_verified(client, superuser).get(f"{USERS}{insured.pk}/change/").content.decode()
    assert "Application d&#x27;authentification · default" in page
    assert "Codes de secours (10 restants)" in page
    assert device.key not in page
