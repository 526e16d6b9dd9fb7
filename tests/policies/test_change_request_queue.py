"""The change requests' work queue: a colleague validates, another one approves and only the
approval writes the change; a new bank account (IBAN) is approved by a supervisor who neither
recorded nor validated it; rejections need a reason; the person is told in their language; no
admin form writes an IBAN directly."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from two_factor.plugins.phonenumber.models import PhoneDevice

from accounts.duties import ACCOUNT_MANAGER, SUPERVISOR
from accounts.models import AdminAudit, OutboxMessage
from policies.models import ChangeRequest, InsuredPerson
from policies.services import (
    FourEyesError,
    change_request_approve,
    change_request_submit,
    change_request_validate,
)
from tests import factories as f
from tests.conftest import _make, login_verified

pytestmark = pytest.mark.django_db

QUEUE = "/admin/policies/changerequest/"
NEW_IBAN = "CH9300762011623852957"


@pytest.fixture
def person(pensioner):
    pensioner.language = "de"
    pensioner.save()
    PhoneDevice.objects.create(user=pensioner, name="sms", number="+41791234567",
                               confirmed=True)
    return pensioner.insured_person


@pytest.fixture
def bank_change(person, pensioner):
    change = change_request_submit(person=person, kind="bank_account",
                                   data={"iban": NEW_IBAN, "holder": "Jean Rentier",
                                         "currency": "CHF"},
                                   effective_date=date(2026, 12, 1), submitted_by=pensioner)
    OutboxMessage.objects.all().delete()  # the warning of the request itself
    return change


@pytest.fixture
def address_change(person, pensioner):
    return change_request_submit(person=person, kind="address",
                                 data={"street": "Rue du Lac 3", "postcode": "1800",
                                       "city": "Vevey", "country": "CH"},
                                 effective_date=date(2026, 12, 1), submitted_by=pensioner)


def _act(client, change, action, **extra):
    return client.post(QUEUE, {"action": action, "_selected_action": [change.pk], **extra},
                       follow=True)


def _iban(person) -> str:
    return InsuredPerson.objects.get(pk=person.pk).iban


# --- the queue --------------------------------------------------------------------------------

def test_the_queue_shows_each_requests_next_step(as_user, account_manager, bank_change,
                                                 address_change):
    change_request_validate(change=bank_change, by=account_manager)
    page = as_user(account_manager).get(QUEUE)
    rows = {row.case_number: page.context["cl"].model_admin.next_step(row)
            for row in page.context["cl"].result_list}
    assert rows == {bank_change.case_number: "Approbation (superviseur·e)",
                    address_change.case_number: "1er contrôle"}
    bank_only = as_user(account_manager).get(QUEUE, {"kind__exact": "bank_account"})
    assert [r.pk for r in bank_only.context["cl"].result_list] == [bank_change.pk]
    company = as_user(account_manager).get(
        QUEUE, {"company": str(bank_change.person.contract.employer_id)})
    assert len(company.context["cl"].result_list) == 2
    other = as_user(account_manager).get(QUEUE, {"company": str(f.EmployerFactory().pk)})
    assert list(other.context["cl"].result_list) == []


def test_an_agent_may_look_but_not_decide(as_user, agent, bank_change):
    client = as_user(agent)
    assert client.get(QUEUE).status_code == 200
    for action in ("validate", "approve", "reject"):
        assert _act(client, bank_change, action, post="yes", reason="x").status_code == 403
    bank_change.refresh_from_db()
    assert bank_change.status == "received"
    assert AdminAudit.objects.filter(action="refused", actor=agent).count() == 3


# --- four eyes on a bank account --------------------------------------------------------------

def test_an_account_manager_validates_but_cannot_approve_a_new_iban(as_user, account_manager,
                                                                    bank_change, person):
    manager = as_user(account_manager)
    _act(manager, bank_change, "validate")
    bank_change.refresh_from_db()
    assert bank_change.validated_by == account_manager

    # Another account manager holds the queue's duty but not the supervisor's.
    second = _make(f.UserFactory(email="manager2@example.ch", is_staff=True))
    second.groups.add(Group.objects.get(name=ACCOUNT_MANAGER))
    response = _act(login_verified(Client(), second), bank_change, "approve")
    assert "approuvé par un·e superviseur·e" in response.content.decode()
    assert _iban(person) == ""
    refused = AdminAudit.objects.get(name="change_request_approve")
    assert (refused.action, refused.actor) == ("refused", second)


def test_the_supervisor_who_validated_cannot_approve_another_one_can(
        as_user, supervisor, supervisor2, bank_change, person, pensioner):
    first = login_verified(Client(), supervisor)
    _act(first, bank_change, "validate")
    refused = _act(first, bank_change, "approve")
    assert "une autre personne que celle qui a saisi ou validé" in refused.content.decode()
    assert _iban(person) == ""

    approved = _act(login_verified(Client(), supervisor2), bank_change, "approve")

    assert "1 demande approuvée et appliquée" in approved.content.decode()
    bank_change.refresh_from_db()
    assert (bank_change.status, bank_change.approved_by) == ("done", supervisor2)
    assert _iban(person) == NEW_IBAN
    # The person is told, in German, by e-mail and SMS; neither carries the IBAN.
    mail = OutboxMessage.objects.get(channel="email")
    assert mail.recipient == pensioner.email
    assert mail.subject == f"Ihr Antrag {bank_change.case_number}: Abgeschlossen"
    assert reverse("insured:change-detail", args=[bank_change.pk]) in mail.body
    sms = OutboxMessage.objects.get(channel="sms")
    assert sms.recipient == "+41791234567" and "Konto" in sms.body
    for message in (mail, sms):
        assert "7620" not in message.body.replace(" ", "") and "Rentier" not in message.body
    rows = AdminAudit.objects.filter(name="change_request_approve").order_by("pk")
    assert [(r.action, r.actor) for r in rows] == [("refused", supervisor),
                                                   ("action", supervisor2)]


def test_the_colleague_who_recorded_a_bank_change_cannot_approve_it(
        account_manager, supervisor, person):
    change = change_request_submit(person=person, kind="bank_account", data={"iban": NEW_IBAN},
                                   effective_date=date(2026, 12, 1), recorded_by=supervisor)
    change_request_validate(change=change, by=account_manager)
    with pytest.raises(FourEyesError):
        change_request_approve(change=change, by=supervisor)
    assert _iban(person) == ""


def test_an_address_change_needs_two_colleagues_but_no_supervisor(
        as_user, account_manager, supervisor, address_change, person):
    _act(login_verified(Client(), supervisor), address_change, "validate")
    _act(as_user(account_manager), address_change, "approve")
    address_change.refresh_from_db()
    assert address_change.status == "done"
    assert InsuredPerson.objects.get(pk=person.pk).city == "Vevey"
    assert not OutboxMessage.objects.filter(channel="sms").exists()  # e-mail only


def test_no_admin_form_types_an_iban(as_user, superuser, person):
    client = as_user(superuser)
    for url in (f"/admin/policies/insuredperson/{person.pk}/change/",
                "/admin/policies/insuredperson/add/"):
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="iban"' not in page.content.decode()
        assert 'name="bank_account_holder"' not in page.content.decode()


# --- rejecting --------------------------------------------------------------------------------

@pytest.mark.parametrize("reason,message", [
    ("", "Ce champ est obligatoire."),
    ("x" * 10_000, "au plus 2000 caractères (actuellement 10000)"),
])
def test_a_rejection_without_a_fitting_reason_changes_nothing(as_user, account_manager,
                                                              bank_change, reason, message):
    response = _act(as_user(account_manager), bank_change, "reject", post="yes", reason=reason)
    assert response.status_code == 200 and message in response.content.decode()
    bank_change.refresh_from_db()
    assert bank_change.status == "received"
    assert not OutboxMessage.objects.exists()


def test_a_rejection_is_told_and_its_reason_shown_in_the_portal(as_user, account_manager,
                                                                bank_change, pensioner):
    response = _act(as_user(account_manager), bank_change, "reject", post="yes",
                    reason="Le titulaire du compte n'est pas l'assuré.")
    assert "1 demande refusée" in response.content.decode()
    bank_change.refresh_from_db()
    assert bank_change.status == "rejected"
    mail = OutboxMessage.objects.get()
    assert mail.subject == f"Ihr Antrag {bank_change.case_number}: Abgelehnt"
    assert "titulaire" not in mail.body
    assert AdminAudit.objects.get(name="change_request_reject").target_id == str(bank_change.pk)
    portal = as_user(pensioner).get(reverse("insured:change-detail", args=[bank_change.pk]))
    assert "Le titulaire du compte n&#x27;est pas l&#x27;assuré." in portal.content.decode()


def test_a_request_decided_by_a_colleague_meanwhile_is_reported(as_user, account_manager,
                                                                supervisor, bank_change):
    from policies.services import change_request_reject

    change_request_reject(change=bank_change, by=supervisor, reason="Doublon")
    response = _act(as_user(account_manager), bank_change, "validate")
    assert "déjà traité par un·e collègue (Refusée)" in response.content.decode()
    bank_change.refresh_from_db()
    assert bank_change.validated_by is None


# --- two supervisors at once (PostgreSQL) -----------------------------------------------------

@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_approving_at_once_apply_the_iban_once(terms):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    person = f.InsuredPersonFactory()
    user = f.UserFactory(email="jean@example.ch", insured_person=person)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    manager = f.UserFactory(email="m@fund.ch", is_staff=True)
    manager.groups.add(Group.objects.get(name=ACCOUNT_MANAGER))
    supervisors = []
    for email in ("s1@fund.ch", "s2@fund.ch"):
        supervisor = f.UserFactory(email=email, is_staff=True)
        supervisor.groups.add(Group.objects.get(name=SUPERVISOR))
        supervisors.append(supervisor)
    change = change_request_submit(person=person, kind="bank_account", data={"iban": NEW_IBAN},
                                   effective_date=date(2026, 12, 1), submitted_by=user)
    change_request_validate(change=change, by=manager)
    before = OutboxMessage.objects.count()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def approve(by) -> None:
        try:
            barrier.wait(timeout=30)
            change_request_approve(change=change, by=by)
            outcomes.append("approved")
        except FourEyesError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=approve, args=(s,)) for s in supervisors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["approved", "refused"]
    final = ChangeRequest.objects.get(pk=change.pk)
    assert final.status == "done" and final.events.filter(status="done").count() == 1
    assert OutboxMessage.objects.count() == before + 1  # one e-mail, no SMS (no mobile)


def test_opening_a_request_is_recorded_as_a_view_of_the_person(as_user, account_manager,
                                                               bank_change, pensioner):
    as_user(account_manager).get(f"{QUEUE}{bank_change.pk}/change/")
    row = AdminAudit.objects.get(action="view")
    assert (row.actor, row.subject, row.target_id) == (account_manager, pensioner,
                                                       str(bank_change.pk))
