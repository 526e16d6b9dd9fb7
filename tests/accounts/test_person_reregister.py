"""After a deactivation on request, the person can be registered again with a new code: the old
account does not block it. With the old e-mail address the same account row is reopened (new
password and factor, only what the new code grants); with another address a new account opens."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django_otp import devices_for_user

from accounts import registration as reg
from accounts.duties import AGENT
from accounts.models import Membership, OutboxMessage, SecurityEvent, User
from accounts.services import account_deactivate
from tests import factories as f
from tests.conftest import (
    STRONG,
    current_totp,
    post_password,
    register_with_code,
    walk_to_factor,
)

pytestmark = pytest.mark.django_db


def _finish(client):
    client.post("/register/factor/", {"method": "totp"})
    return client.post("/register/confirm/", {"token": current_totp(client)})


@pytest.fixture
def deactivated(insured, supervisor):
    account_deactivate(user=insured, by=supervisor, reason="Demande écrite")
    insured.refresh_from_db()
    return insured


def _new_code(person):
    return reg.registration_code_issue(kind="insured", role="insured", insured_person=person,
                                       created_by=None)


def test_the_same_address_reopens_the_account_with_only_the_new_code_s_rights(deactivated,
                                                                             insured_person):
    old_devices = {d.persistent_id for d in devices_for_user(deactivated, confirmed=None)}
    client = Client()
    walk_to_factor(client, insured_person, _new_code(insured_person).plain,
                   email=deactivated.email)
    response = _finish(client)

    assert response.status_code == 200
    user = User.objects.get(email=deactivated.email)
    assert user.pk == deactivated.pk and user.is_active
    assert user.insured_person == insured_person
    assert not old_devices & {d.persistent_id for d in devices_for_user(user, confirmed=None)}
    current = Membership.objects.filter(user=user, revoked_at__isnull=True)
    assert [(m.kind, m.insured_person) for m in current] == [("insured", insured_person)]
    assert Membership.objects.filter(user=user, revoked_at__isnull=False).count() == 1
    assert SecurityEvent.objects.get(user=user, kind="code_redeemed").detail["reopened"] is True
    assert client.get("/insured/").status_code == 200
    assert "token-otp_token" in post_password(Client(), user.email, STRONG).content.decode()


def test_the_e_mail_step_sends_the_code_to_a_deactivated_address(deactivated, insured_person):
    client = Client()
    walk_to_factor(client, insured_person, _new_code(insured_person).plain,
                   email=deactivated.email)  # asserts the e-mailed code confirmed the address
    assert not OutboxMessage.objects.filter(
        recipient=deactivated.email, subject__icontains="essayé d'utiliser").exists()


def test_another_address_opens_a_new_account_and_leaves_the_old_one_closed(deactivated,
                                                                          insured_person):
    client = Client()
    walk_to_factor(client, insured_person, _new_code(insured_person).plain,
                   email="claire.neu@example.ch")
    _finish(client)
    new = User.objects.get(email="claire.neu@example.ch")
    assert new.pk != deactivated.pk and new.insured_person == insured_person
    deactivated.refresh_from_db()
    assert not deactivated.is_active and deactivated.insured_person is None


def test_an_active_account_still_blocks_a_second_registration(insured, insured_person):
    client = Client()
    response = client.post("/register/", {
        "ahv_number": insured_person.ahv_number, "code": _new_code(insured_person).plain,
        "birth_date": insured_person.birth_date.strftime("%d.%m.%Y"), "accept_terms": "on",
    })
    assert "Un compte existe déjà" in response.content.decode()


def test_a_deactivated_employer_user_comes_back_with_an_access_code(hr_admin, supervisor,
                                                                   employer):
    account_deactivate(user=hr_admin, by=supervisor, reason="Départ de l'entreprise")
    issued = reg.registration_code_issue(kind="employer", role="clerk", employer=employer,
                                         email=hr_admin.email, created_by=None)
    register_with_code(Client(), issued.plain, hr_admin.email)
    hr_admin.refresh_from_db()
    assert hr_admin.is_active
    roles = list(Membership.objects.filter(user=hr_admin, revoked_at__isnull=True)
                 .values_list("role", flat=True))
    assert roles == ["clerk"]  # the admin role revoked at deactivation does not come back


def test_a_reopened_account_gets_no_staff_rights_back(terms, superuser, employer):
    colleague = f.UserFactory(email="ex-staff@example.ch", is_staff=True)
    colleague.groups.add(Group.objects.get(name=AGENT))
    account_deactivate(user=colleague, by=superuser, reason="Départ")
    issued = reg.registration_code_issue(kind="employer", role="clerk", employer=employer,
                                         email=colleague.email, created_by=None)
    register_with_code(Client(), issued.plain, colleague.email)
    colleague.refresh_from_db()
    assert colleague.is_active and not colleague.is_staff and not colleague.is_superuser
    assert not colleague.groups.exists()


def test_another_active_user_cannot_take_a_deactivated_address(deactivated, other_insured):
    from accounts.services import email_change_start

    email_change_start(user=other_insured, new_email=deactivated.email)
    sent = OutboxMessage.objects.filter(recipient=deactivated.email).order_by("-pk").first()
    assert "essayé d'utiliser" in sent.subject  # its owner is told; no code goes out
