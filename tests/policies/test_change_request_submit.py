"""One open change request of a kind per person, whoever files it and however fast."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from django.db import connection, connections
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from policies import services
from policies.models import ChangeRequest
from tests import factories as f
from tests.conftest import login_verified

ADDRESS = {"street": "Rue du Lac 12", "postcode": "1003", "city": "Lausanne", "country": "CH"}


@pytest.mark.django_db
def test_the_service_refuses_a_second_open_request_of_a_kind(insured_person):
    first = services.change_request_submit(person=insured_person, kind="address", data=ADDRESS,
                                           effective_date=date.today())
    with pytest.raises(services.ChangeRequestAlreadyOpen) as refused:
        services.change_request_submit(person=insured_person, kind="address", data=ADDRESS,
                                       effective_date=date.today())
    assert first.case_number in refused.value.messages[0]
    # Another kind is a separate queue.
    services.change_request_submit(person=insured_person, kind="civil_status",
                                   data={"civil_status": "married"}, effective_date=date.today())
    assert ChangeRequest.objects.count() == 2


@pytest.mark.django_db
def test_support_cannot_record_a_second_open_request_in_the_admin(client, insured_person):
    services.change_request_submit(person=insured_person, kind="address", data=ADDRESS,
                                   effective_date=date.today())
    agent = f.UserFactory(email="agent@support.ch", is_staff=True, is_superuser=True)
    TOTPDevice.objects.create(user=agent, name="default", confirmed=True)
    login_verified(client, agent)
    response = client.post(reverse("admin:policies_changerequest_add"), {
        "person": insured_person.pk, "kind": "address",
        "data": '{"city": "Fribourg"}', "effective_date": date.today().isoformat()})
    assert response.status_code == 200
    assert "déjà en cours" in response.content.decode()
    assert ChangeRequest.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_simultaneous_submissions_create_one_request():
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    person = f.InsuredPersonFactory()
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=30)
            services.change_request_submit(person=person, kind="address", data=ADDRESS,
                                           effective_date=date.today())
            outcomes.append("created")
        except services.ChangeRequestAlreadyOpen:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["created"] + ["refused"] * 9
    assert ChangeRequest.objects.filter(person=person).count() == 1
