"""The queue of requests made from a saved simulation: taken on, completed or rejected with a
reason by the colleagues whose duty it is; the person is told in their language; two colleagues
deciding at once decide once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from accounts.models import AdminAudit, OutboxMessage
from simulations.models import ServiceRequest, ServiceRequestEvent, Simulation
from simulations.services import (
    ServiceRequestClosed,
    service_request_from_simulation,
    service_request_transition,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

QUEUE = "/admin/simulations/servicerequest/"


def _simulation(person, kind="buy_in") -> Simulation:
    return Simulation.objects.create(person=person, kind=kind, inputs={"amount": "10000"},
                                     result={"amount": "10000.00", "max_buy_in": "96420.10"})


@pytest.fixture
def request_(insured):
    insured.language = "en"
    insured.save()
    return service_request_from_simulation(
        simulation=_simulation(insured.insured_person), user=insured)


def _act(client, item, action, **extra):
    return client.post(QUEUE, {"action": action, "_selected_action": [item.pk], **extra},
                       follow=True)


def _cases(response) -> list[str]:
    return [row.case_number for row in response.context["cl"].result_list]


def test_the_queue_is_open_requests_oldest_first_by_kind(as_user, account_manager, insured,
                                                         request_):
    person = insured.insured_person
    older = service_request_from_simulation(simulation=_simulation(person, "wef"), user=insured)
    ServiceRequest.objects.filter(pk=older.pk).update(
        created_at=timezone.now() - timedelta(days=20))
    done = service_request_from_simulation(simulation=_simulation(person, "retirement"),
                                           user=insured)
    service_request_transition(request=done, status="done", by=account_manager)
    client = as_user(account_manager)

    assert _cases(client.get(QUEUE)) == [older.case_number, request_.case_number]
    assert _cases(client.get(QUEUE, {"kind__exact": "wef"})) == [older.case_number]
    assert _cases(client.get(QUEUE, {"age": "10"})) == [older.case_number]
    assert _cases(client.get(QUEUE, {"company": str(person.contract.employer_id)})) == [
        older.case_number, request_.case_number]
    assert _cases(client.get(QUEUE, {"state": "done"})) == [done.case_number]


def test_an_agent_sees_the_requests_but_cannot_decide(as_user, agent, request_):
    client = as_user(agent)
    assert request_.case_number in _cases(client.get(QUEUE))
    for action in ("take", "complete", "reject"):
        assert _act(client, request_, action, post="yes", reason="x").status_code == 403
    request_.refresh_from_db()
    assert request_.status == "received"
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("persona", ["account_manager", "supervisor"])
def test_completing_tells_the_person_in_their_language(request, as_user, request_, insured,
                                                       persona):
    colleague = request.getfixturevalue(persona)
    client = as_user(colleague)
    _act(client, request_, "take")
    response = _act(client, request_, "complete")

    assert "1 demande terminée" in response.content.decode()
    request_.refresh_from_db()
    assert request_.status == "done"
    mail = OutboxMessage.objects.get()
    assert mail.recipient == insured.email
    assert mail.subject == f"Your request {request_.case_number}: Completed"
    assert reverse("insured:request-detail", args=[request_.pk]) in mail.body
    assert "96" not in mail.body.replace(request_.case_number, "")  # no figures
    names = list(AdminAudit.objects.filter(actor=colleague, target_id=str(request_.pk))
                 .values_list("name", flat=True).order_by("pk"))
    assert names == ["service_request_take", "service_request_complete"]


def test_rejecting_asks_for_a_reason_then_tells_the_person(as_user, account_manager, request_,
                                                           insured):
    client = as_user(account_manager)
    form = _act(client, request_, "reject")
    assert 'name="reason"' in form.content.decode()
    empty = _act(client, request_, "reject", post="yes", reason="  ")
    assert "Ce champ est obligatoire." in empty.content.decode()
    request_.refresh_from_db()
    assert request_.status == "received" and not OutboxMessage.objects.exists()

    _act(client, request_, "reject", post="yes", reason="Rachat déjà effectué cette année.")

    request_.refresh_from_db()
    assert (request_.status, request_.reason) == ("rejected", "Rachat déjà effectué cette année.")
    mail = OutboxMessage.objects.get()
    assert mail.subject == f"Your request {request_.case_number}: Rejected"
    assert "Rachat" not in mail.body
    page = as_user(insured).get(reverse("insured:request-detail", args=[request_.pk]))
    assert "Rachat déjà effectué cette année." in page.content.decode()


def test_a_request_a_colleague_closed_meanwhile_is_reported(as_user, account_manager,
                                                            supervisor, request_):
    service_request_transition(request=request_, status="rejected", by=supervisor,
                               reason="Doublon")
    response = _act(as_user(account_manager), request_, "complete")
    assert "déjà traité par un·e collègue (Refusée)" in response.content.decode()
    with pytest.raises(ServiceRequestClosed):
        service_request_transition(request=request_, status="done", by=account_manager)
    assert ServiceRequest.objects.get(pk=request_.pk).status == "rejected"
    assert OutboxMessage.objects.count() == 1  # the rejection only


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_colleagues_closing_at_once_close_it_once(terms):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    person = f.InsuredPersonFactory()
    user = f.UserFactory(email="claire@example.ch", insured_person=person)
    f.MembershipFactory(user=user, kind="insured", role="insured", insured_person=person)
    item = service_request_from_simulation(simulation=_simulation(person), user=user)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def decide(status: str) -> None:
        try:
            barrier.wait(timeout=30)
            service_request_transition(request=ServiceRequest.objects.get(pk=item.pk),
                                       status=status, by=None, reason="Doublon")
            outcomes.append(status)
        except ServiceRequestClosed:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(s,)) for s in ("done", "rejected")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) in (["done", "refused"], ["refused", "rejected"])
    assert ServiceRequestEvent.objects.filter(request=item).exclude(status="received").count() == 1
    assert OutboxMessage.objects.filter(recipient=user.email).count() == 1
