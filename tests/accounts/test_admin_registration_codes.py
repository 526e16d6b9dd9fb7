"""Registration codes in the admin, per duty group: issue, reissue (old code revoked in the same
transaction), revoke; each allowed or refused (403 / action not listed) with its audit row. The
plain code exists only in the letter: stored as a keyed hash, never shown again."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from accounts import registration as reg
from accounts.models import AdminAudit, OutboxMessage, RegistrationCode, hash_code
from tests import factories as f
from tests.conftest import login_verified
from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db

CODE_RE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")
CODES = "/admin/accounts/registrationcode/"
DUTY_FIXTURES = ["agent", "account_manager", "supervisor"]


@pytest.fixture
def person(db):
    return f.InsuredPersonFactory(first_name="Luc", last_name="Berset", street="Rue Neuve 3",
                                  postcode="1700", city="Fribourg", language="fr")


@pytest.fixture
def staff(request):
    return request.getfixturevalue(request.param)


def _codes_in(pdf: bytes) -> list[str]:
    return CODE_RE.findall("\n".join(pdf_pages_text(pdf)))


def _issue(client: Client, person, **data):
    return client.post(f"{CODES}issue/", {"ahv_number": person.ahv_number.replace(".", ""),
                                          "days": "60", **data})


# --- issue --------------------------------------------------------------------------------------


@pytest.mark.parametrize("staff", DUTY_FIXTURES, indirect=True)
def test_each_duty_group_issues_a_code_as_a_letter_and_only_its_hash_is_kept(staff, person):
    client = login_verified(Client(), staff)
    response = _issue(client, person)
    assert response["Content-Type"] == "application/pdf"
    [plain] = _codes_in(response.content)
    code = RegistrationCode.objects.get()
    assert code.code_hash == hash_code(plain) and code.insured_person == person
    assert code.created_by == staff
    stored = " ".join(str(v) for v in RegistrationCode.objects.values().get().values())
    assert plain not in stored and plain.replace("-", "") not in stored
    row = AdminAudit.objects.get(action="add")
    assert row.actor == staff and row.target_id == str(code.pk)
    assert plain not in str(row.detail) + row.target_repr
    # Never shown again: not on the list, not on the code's page.
    for url in (CODES, f"{CODES}{code.pk}/change/"):
        page = client.get(url).content.decode()
        assert plain not in page and plain.replace("-", "") not in page
        assert code.hint in page


def test_the_person_page_link_fills_in_the_ahv_number(as_user, agent, person):
    page = as_user(agent).get(f"{CODES}issue/?person={person.pk}").content.decode()
    assert person.ahv_number in page
    assert as_user(agent).get(f"{CODES}issue/?person=abc").status_code == 200


def test_a_second_code_for_the_same_person_is_refused_and_reissue_is_offered(as_user, agent,
                                                                            person):
    first = reg.insured_code_issue(person=person, created_by=None)
    response = _issue(as_user(agent), person)
    assert response.status_code == 200
    page = response.content.decode()
    assert "déjà un code valable" in page and f"…{first.code.hint}" in page
    assert f"{CODES}{first.code.pk}/change/" in page
    assert RegistrationCode.objects.count() == 1


def test_a_person_with_an_account_gets_no_code(as_user, agent, insured):
    response = _issue(as_user(agent), insured.insured_person)
    assert response.status_code == 200 and "déjà un compte" in response.content.decode()
    assert not RegistrationCode.objects.exists()


def test_an_unknown_or_invalid_ahv_number_is_a_message_not_an_error(as_user, agent):
    client = as_user(agent)
    for number in ("756.0000.0000.00", "hello", ""):
        response = client.post(f"{CODES}issue/", {"ahv_number": number, "days": "0"})
        assert response.status_code == 200
    assert not RegistrationCode.objects.exists()


def test_staff_without_the_duty_may_not_issue_and_leaves_a_trace(as_user, support, person):
    # The older generic "Support" group reads codes but holds no issuing duty.
    client = as_user(support)
    assert client.get(CODES).status_code == 200
    assert client.get(f"{CODES}issue/").status_code == 403
    assert _issue(client, person).status_code == 403
    assert not RegistrationCode.objects.exists()
    assert AdminAudit.objects.filter(action="refused", actor=support,
                                     path=f"{CODES}issue/").count() == 2
    page = client.get(CODES).content.decode()
    assert "reissue_codes" not in page and "revoke_codes" not in page
    assert f"{CODES}issue/" not in page


def test_someone_outside_the_back_office_is_sent_to_the_admin_login(as_user, hr_admin, person):
    response = _issue(as_user(hr_admin), person)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert not RegistrationCode.objects.exists()


# --- reissue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("staff", DUTY_FIXTURES, indirect=True)
def test_reissue_revokes_the_old_code_and_prints_a_new_one(staff, person):
    old = reg.insured_code_issue(person=person, created_by=None)
    client = login_verified(Client(), staff)
    page = client.get(CODES).content.decode()
    assert 'value="reissue_codes"' in page and 'value="revoke_codes"' in page
    response = client.post(CODES, {"action": "reissue_codes",
                                   "_selected_action": [old.code.pk]})
    assert response["Content-Type"] == "application/pdf"
    [plain] = _codes_in(response.content)
    assert plain != old.plain
    old.code.refresh_from_db()
    assert old.code.revoked_at is not None
    live = RegistrationCode.objects.filter(revoked_at__isnull=True)
    assert [c.code_hash for c in live] == [hash_code(plain)]
    row = AdminAudit.objects.get(action="action", name="reissue_codes")
    assert row.actor == staff and row.detail["selected"] == [str(old.code.pk)]


def test_the_reissue_button_on_the_code_page_is_audited(as_user, agent, person):
    old = reg.insured_code_issue(person=person, created_by=None)
    client = as_user(agent)
    page = client.get(f"{CODES}{old.code.pk}/change/").content.decode()
    assert f"{CODES}{old.code.pk}/reissue/" in page
    assert client.get(f"{CODES}{old.code.pk}/reissue/").status_code == 405
    response = client.post(f"{CODES}{old.code.pk}/reissue/")
    assert response["Content-Type"] == "application/pdf"
    assert RegistrationCode.objects.filter(revoked_at__isnull=True).count() == 1
    row = AdminAudit.objects.get(name="reissue_code")
    assert row.actor == agent and row.target_id == str(old.code.pk)
    assert row.detail == {"reissued": True}


def test_a_used_code_or_a_staff_invitation_is_not_reissued(as_user, agent, person, superuser):
    used = reg.insured_code_issue(person=person, created_by=None).code
    RegistrationCode.objects.filter(pk=used.pk).update(redeemed_at="2026-01-01T10:00Z")
    from django.contrib.auth.models import Group

    invitation = reg.staff_invitation_issue(email="new@alpina.ch", groups=Group.objects.none(),
                                            created_by=superuser).code
    response = as_user(agent).post(CODES, {"action": "reissue_codes",
                                           "_selected_action": [used.pk, invitation.pk]},
                                   follow=True)
    assert response["Content-Type"].startswith("text/html")
    assert "non réémis" in response.content.decode()
    assert RegistrationCode.objects.count() == 2


def test_an_employer_code_is_reissued_by_e_mail_to_the_same_address_in_its_language(
        as_user, account_manager, employer):
    from accounts.models import AccessRequest

    AccessRequest.objects.create(kind="employer", organisation_name=employer.name,
                                 organisation_number=employer.uid, contact_first_name="Uta",
                                 contact_last_name="Keller", email="uta@firma.ch",
                                 mobile="+41791234567", language="de")
    old = reg.registration_code_issue(kind="employer", role="admin", employer=employer,
                                      email="uta@firma.ch", created_by=None)
    response = as_user(account_manager).post(CODES, {"action": "reissue_codes",
                                                     "_selected_action": [old.code.pk]})
    [plain] = _codes_in(response.content)
    new = RegistrationCode.objects.get(revoked_at__isnull=True)
    assert (new.kind, new.role, new.employer, new.email) == ("employer", "admin", employer,
                                                             "uta@firma.ch")
    mail = OutboxMessage.objects.get(recipient="uta@firma.ch")
    assert plain in mail.body and old.plain not in mail.body
    assert "Ihr neuer Registrierungscode" == mail.subject


# --- revoke -------------------------------------------------------------------------------------


@pytest.mark.parametrize("staff", DUTY_FIXTURES, indirect=True)
def test_each_duty_group_revokes_codes(staff, person):
    issued = reg.insured_code_issue(person=person, created_by=None)
    client = login_verified(Client(), staff)
    client.post(CODES, {"action": "revoke_codes", "_selected_action": [issued.code.pk]})
    issued.code.refresh_from_db()
    assert issued.code.revoked_at is not None
    assert AdminAudit.objects.filter(action="action", name="revoke_codes", actor=staff).exists()
    assert reg.registration_code_find(issued.plain).is_usable is False


def test_the_revoke_button_and_its_refusal(as_user, agent, support, person):
    issued = reg.insured_code_issue(person=person, created_by=None)
    url = f"{CODES}{issued.code.pk}/revoke/"
    assert as_user(support).post(url).status_code == 403
    issued.code.refresh_from_db()
    assert issued.code.revoked_at is None
    assert AdminAudit.objects.filter(action="refused", actor=support, path=url).exists()
    response = as_user(agent).post(url)
    assert response.status_code == 302
    issued.code.refresh_from_db()
    assert issued.code.revoked_at is not None
    assert AdminAudit.objects.filter(name="revoke_code", actor=agent,
                                     detail__revoked=True).exists()


def test_an_action_posted_by_someone_without_the_duty_changes_nothing(as_user, support, person):
    issued = reg.insured_code_issue(person=person, created_by=None)
    for action in ("revoke_codes", "reissue_codes"):
        response = as_user(support).post(CODES, {"action": action,
                                                 "_selected_action": [issued.code.pk]})
        assert response.status_code in (200, 302)
    issued.code.refresh_from_db()
    assert issued.code.revoked_at is None
    assert RegistrationCode.objects.count() == 1


def test_reissuing_too_many_codes_at_once_points_to_bulk_letters(as_user, agent, monkeypatch):
    from accounts import admin_registration

    monkeypatch.setattr(admin_registration, "LETTERS_PER_REQUEST", 2)
    codes = [reg.insured_code_issue(person=f.InsuredPersonFactory(), created_by=None).code
             for _ in range(3)]
    response = as_user(agent).post(CODES, {"action": "reissue_codes",
                                           "_selected_action": [c.pk for c in codes]},
                                   follow=True)
    assert "Au plus 2 codes à la fois" in response.content.decode()
    assert RegistrationCode.objects.count() == 3
    assert not RegistrationCode.objects.filter(revoked_at__isnull=False).exists()
