"""Support books or rejects a mutation in the admin: booking applies the change to the person
in one transaction and moves the person's dashboard version; the employer is told by e-mail of
each decision; two colleagues booking at once book it once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from accounts.models import OutboxMessage
from policies import services
from policies.dashboard_cache import dashboard_version
from policies.models import Mutation, SalaryRecord
from tests import factories as f
from tests.conftest import support_member
from tests.portals.employer.conftest import first_of_month

pytestmark = pytest.mark.django_db


def test_booking_applies_the_salary_and_tells_the_employer(mutation, staff_person, support,
                                                           hr_admin, django_capture_on_commit_callbacks):
    before = dashboard_version(staff_person.pk)
    with django_capture_on_commit_callbacks(execute=True):
        services.mutation_book(mutation=mutation, by=support)
    staff_person.refresh_from_db()
    assert staff_person.annual_salary == Decimal("90000.00")
    assert SalaryRecord.objects.get(person=staff_person).valid_from == first_of_month()
    assert dashboard_version(staff_person.pk) != before
    mail = OutboxMessage.objects.get(recipient=hr_admin.email)
    assert mutation.case_number in mail.subject and "enregistrée" in mail.body
    # No personal data in the e-mail: not the new salary in any of its written forms.
    for salary in ("90000", "90'000", "90’000", "90 000"):
        assert salary not in mail.body.replace(mutation.case_number, "")


def test_rejecting_needs_a_reason_the_employer_then_sees(as_user, mutation, support, hr_admin):
    with pytest.raises(services.ValidationError):
        services.mutation_reject(mutation=mutation, by=support, reason=" ")
    services.mutation_reject(mutation=mutation, by=support, reason="Salaire inconnu")
    page = as_user(hr_admin).get(f"/employer/mutations/{mutation.pk}/").content.decode()
    assert "Refusée" in page and "Salaire inconnu" in page
    assert OutboxMessage.objects.filter(recipient=hr_admin.email,
                                        subject__contains="Refusée").exists()


def test_a_booked_mutation_is_not_booked_again(mutation, support, staff_person):
    services.mutation_book(mutation=mutation, by=support)
    with pytest.raises(services.MutationNotOpen):
        services.mutation_book(mutation=mutation, by=support)
    with pytest.raises(services.MutationNotOpen):
        services.mutation_reject(mutation=mutation, by=support, reason="x")
    assert SalaryRecord.objects.filter(person=staff_person).count() == 1


def test_an_exit_booked_sets_the_person_left(employer, staff_person, hr_admin, support):
    exit_ = services.mutation_submit(employer=employer, kind="exit",
                                     effective_date=first_of_month(), data={},
                                     person=staff_person, submitted_by=hr_admin)
    services.mutation_book(mutation=exit_, by=support)
    staff_person.refresh_from_db()
    assert staff_person.status == "left" and staff_person.exit_date == first_of_month()


def test_support_books_through_the_admin_action(as_user, mutation, account_manager,
                                                staff_person):
    client = as_user(account_manager)
    response = client.post("/admin/policies/mutation/", {
        "action": "book", "_selected_action": [mutation.pk]}, follow=True)
    assert response.status_code == 200
    mutation.refresh_from_db()
    assert mutation.status == "booked"
    staff_person.refresh_from_db()
    assert staff_person.annual_salary == Decimal("90000.00")


def test_support_rejects_in_the_admin_with_a_reason(as_user, mutation, account_manager):
    client = as_user(account_manager)
    page = client.get(f"/admin/policies/mutation/{mutation.pk}/change/")
    assert page.status_code == 200 and b'value="reject"' in page.content
    client.post("/admin/policies/mutation/", {
        "action": "reject", "_selected_action": [mutation.pk], "post": "yes",
        "reason": "Date d'effet erronée"})
    mutation.refresh_from_db()
    assert mutation.status == "rejected" and mutation.reason == "Date d'effet erronée"


def test_the_admin_offers_no_way_to_add_or_edit_reported_data(as_user, mutation, support):
    client = as_user(support)
    assert client.get("/admin/policies/mutation/add/").status_code == 403
    page = client.get(f"/admin/policies/mutation/{mutation.pk}/change/").content
    assert b'name="data"' not in page and b'name="effective_date"' not in page


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_support_colleagues_booking_at_once_book_it_once(terms):
    if connection.vendor != "postgresql":
        pytest.skip("row locks are only meaningful on PostgreSQL")
    employer = f.EmployerFactory()
    person = f.InsuredPersonFactory(contract=f.ContractFactory(employer=employer))
    mutation = services.mutation_submit(
        employer=employer, kind="salary", effective_date=first_of_month(),
        data={"annual_salary": "91000.00"}, person=person, submitted_by=None)
    colleagues = [support_member("one@fund.ch"), support_member("two@fund.ch")]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(user) -> None:
        try:
            barrier.wait(timeout=30)
            services.mutation_book(mutation=mutation, by=user)
            outcomes.append("booked")
        except services.MutationNotOpen:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=attempt, args=(user,)) for user in colleagues]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["booked", "refused"]
    assert SalaryRecord.objects.filter(person=person).count() == 1
    assert Mutation.objects.get(pk=mutation.pk).events.filter(status="booked").count() == 1


def test_a_file_of_mutations_is_told_in_one_e_mail_when_its_last_one_is_decided(
        as_user, hr_admin, batch, support, django_capture_on_commit_callbacks):
    from tests.portals.employer.conftest import csv_upload, first_of_month

    text = ("Type;Numéro AVS;Date d'effet;Salaire annuel (CHF)\n"
            + "".join(f"salaire;{p.ahv_number};{first_of_month():%d.%m.%Y};95000\n"
                      for p in f.InsuredPersonFactory.create_batch(
                          3, contract=batch.employer.contracts.get())))
    created = services.batch_create(employer=batch.employer, user=hr_admin,
                                    upload=csv_upload(text))
    confirmed = services.batch_confirm(batch=services.batch_validate(batch_id=created.pk),
                                       by=hr_admin)
    first, second, third = Mutation.objects.filter(batch=confirmed).order_by("pk")
    services.mutation_book(mutation=first, by=support)
    services.mutation_reject(mutation=second, by=support, reason="Doublon")
    assert not OutboxMessage.objects.exists()
    services.mutation_book(mutation=third, by=support)
    mail = OutboxMessage.objects.get()
    assert confirmed.case_number in mail.subject
    assert "2 enregistrées, 1 refusées" in mail.body
