"""Mutations by form: each kind checked by the fund's rules, a case number and a timeline;
withdrawal while still submitted; nothing changes on the person before support books it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from policies.models import InsuredPerson, Mutation
from tests import factories as f
from tests.portals.employer.conftest import first_of_month

pytestmark = pytest.mark.django_db


def d(value: date) -> str:
    return value.strftime("%d.%m.%Y")


def entry_data(**changes) -> dict:
    data = {"ahv": "756.9217.0769.85", "last_name": "Neuve", "first_name": "Nina",
            "birth_date": "12.04.1990", "sex": "F", "personnel_number": "N-1",
            "effective_date": d(first_of_month()), "annual_salary": "72'000",
            "employment_degree": "80"}
    data.update(changes)
    return data


def test_an_entry_becomes_a_mutation_with_a_case_number_and_a_timeline(
        as_user, hr_admin, contract):
    client = as_user(hr_admin)
    response = client.post("/employer/mutations/new/entry/", entry_data())
    assert response.status_code == 302
    mutation = Mutation.objects.get()
    assert mutation.kind == "entry" and mutation.status == "submitted"
    assert mutation.data["ahv"] == "756.9217.0769.85" and mutation.data["annual_salary"] == (
        "72000.00")
    assert not InsuredPerson.objects.filter(ahv_number="756.9217.0769.85").exists()
    page = client.get(response["Location"]).content.decode()
    assert mutation.case_number in page and "Transmise" in page and "En traitement" in page
    assert 'aria-current="step"' in page and "Neuve Nina" in page


def test_the_ahv_number_typed_without_dots_is_accepted(as_user, hr_admin, contract):
    response = as_user(hr_admin).post("/employer/mutations/new/entry/",
                                      entry_data(ahv="7569217076985"))
    assert response.status_code == 302


@pytest.mark.parametrize("changes,message", [
    ({"ahv": "756.9217.0769.86"}, "le dernier chiffre ne correspond pas"),
    ({"ahv": "123"}, "Numéro AVS invalide"),
    ({"annual_salary": "-5000"}, "ne peut pas être négatif"),
    ({"annual_salary": "12000000"}, "10&#x27;000&#x27;000"),
    ({"effective_date": "31.02.2026"}, "Cette date n&#x27;existe pas"),
    ({"birth_date": "01.01.2020"}, "entre 15 et 75 ans"),
    ({"employment_degree": "150"}, "entre 1 et 100"),
])
def test_bad_entries_get_a_clear_message_and_nothing_is_saved(as_user, hr_admin, contract,
                                                               changes, message):
    response = as_user(hr_admin).post("/employer/mutations/new/entry/", entry_data(**changes))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Mutation.objects.exists()


def test_an_active_person_cannot_enter_twice(as_user, hr_admin, staff_person):
    response = as_user(hr_admin).post("/employer/mutations/new/entry/",
                                      entry_data(ahv=staff_person.ahv_number))
    assert "déjà assurée et active" in response.content.decode()


def test_a_person_active_at_another_company_is_refused(as_user, hr_admin, contract,
                                                        other_person):
    response = as_user(hr_admin).post("/employer/mutations/new/entry/",
                                      entry_data(ahv=other_person.ahv_number))
    page = response.content.decode()
    assert "autre employeur affilié" in page and "Autre Entreprise" not in page


def test_a_person_who_left_is_re_entered_not_duplicated(as_user, hr_admin, contract, support):
    from policies.services import mutation_book

    left = f.InsuredPersonFactory(contract=contract, status="left",
                                  exit_date=first_of_month() - timedelta(days=40))
    response = as_user(hr_admin).post("/employer/mutations/new/entry/",
                                      entry_data(ahv=left.ahv_number))
    assert response.status_code == 302
    mutation = Mutation.objects.get()
    assert mutation.data["reentry"] is True
    mutation_book(mutation=mutation, by=support)
    assert InsuredPerson.objects.filter(ahv_number=left.ahv_number).count() == 1
    left.refresh_from_db()
    assert left.status == "active" and left.exit_date is None
    assert left.entry_date == first_of_month()


def test_an_exit_before_the_entry_date_is_refused(as_user, hr_admin, staff_person):
    staff_person.entry_date = first_of_month()
    staff_person.save()
    response = as_user(hr_admin).post("/employer/mutations/new/exit/", {
        "person_ref": staff_person.ahv_number,
        "effective_date": d(first_of_month() - timedelta(days=1)), "exit_reason": "resignation"})
    assert "ne peut pas précéder la date d&#x27;entrée" in response.content.decode()


def test_a_report_more_than_twelve_months_back_is_refused(as_user, hr_admin, staff_person):
    old = first_of_month().replace(year=first_of_month().year - 1) - timedelta(days=31)
    response = as_user(hr_admin).post("/employer/mutations/new/exit/", {
        "person_ref": staff_person.ahv_number, "effective_date": d(old),
        "exit_reason": "resignation"})
    assert "plus de 12 mois" in response.content.decode()


def test_a_salary_change_is_valid_from_the_first_of_a_month(as_user, hr_admin, staff_person):
    client = as_user(hr_admin)
    refused = client.post("/employer/mutations/new/salary/", {
        "person_ref": staff_person.personnel_number,
        "effective_date": d(first_of_month() + timedelta(days=1)), "annual_salary": "90000"})
    assert "le 1er d&#x27;un mois" in refused.content.decode()
    accepted = client.post("/employer/mutations/new/salary/", {
        "person_ref": staff_person.personnel_number,
        "effective_date": d(first_of_month()), "annual_salary": "90000"})
    assert accepted.status_code == 302
    assert Mutation.objects.get().person == staff_person


def test_another_companys_person_is_unknown(as_user, hr_admin, staff_person, other_person):
    response = as_user(hr_admin).post("/employer/mutations/new/salary/", {
        "person_ref": other_person.ahv_number, "effective_date": d(first_of_month()),
        "annual_salary": "90000"})
    assert "Aucune personne assurée de votre entreprise" in response.content.decode()
    assert not Mutation.objects.exists()


def test_another_companys_person_in_the_query_string_is_a_404(as_user, hr_admin,
                                                              other_person):
    response = as_user(hr_admin).get(f"/employer/mutations/new/salary/?person={other_person.pk}")
    assert response.status_code == 404


@pytest.mark.parametrize("slug,data", [
    ("degree", {"employment_degree": "60"}),
    ("civil-status", {"civil_status": "married"}),
    ("address", {"street": "Rue Neuve 3", "postcode": "1003", "city": "Lausanne",
                 "country": "CH"}),
    ("unpaid-leave", {"end_date": "{end}"}),
])
def test_every_other_kind_can_be_reported(as_user, hr_admin, staff_person, slug, data):
    data = {k: v.format(end=d(first_of_month() + timedelta(days=40))) for k, v in data.items()}
    response = as_user(hr_admin).post(f"/employer/mutations/new/{slug}/", {
        "person_ref": staff_person.ahv_number, "effective_date": d(first_of_month()), **data})
    assert response.status_code == 302, response.content.decode()[-3000:]
    assert Mutation.objects.get().kind == slug.replace("-", "_")


def test_a_read_only_third_party_posting_a_mutation_gets_403(as_user, third_party,
                                                             staff_person):
    response = as_user(third_party).post("/employer/mutations/new/salary/", {
        "person_ref": staff_person.ahv_number, "effective_date": d(first_of_month()),
        "annual_salary": "90000"})
    assert response.status_code == 403
    assert not Mutation.objects.exists()


def test_a_third_party_with_mutations_may_report(as_user, third_party_mutations, staff_person):
    response = as_user(third_party_mutations).post("/employer/mutations/new/salary/", {
        "person_ref": staff_person.ahv_number, "effective_date": d(first_of_month()),
        "annual_salary": "90000"})
    assert response.status_code == 302


def test_a_submitted_mutation_can_be_withdrawn_once(as_user, hr_admin, mutation):
    client = as_user(hr_admin)
    client.post(f"/employer/mutations/{mutation.pk}/withdraw/")
    mutation.refresh_from_db()
    assert mutation.status == "withdrawn"
    page = client.get(f"/employer/mutations/{mutation.pk}/").content.decode()
    assert "Retirée" in page and "Retirer cette mutation" not in page
    again = client.post(f"/employer/mutations/{mutation.pk}/withdraw/", follow=True)
    assert "déjà été traitée" in again.content.decode()


def test_a_mutation_in_review_can_no_longer_be_withdrawn(as_user, hr_admin, mutation, support):
    from policies.services import mutation_review

    mutation_review(mutation=mutation, by=support)
    as_user(hr_admin).post(f"/employer/mutations/{mutation.pk}/withdraw/")
    mutation.refresh_from_db()
    assert mutation.status == "in_review"


def test_another_companys_mutation_cannot_be_withdrawn(as_user, hr_admin, other_mutation):
    response = as_user(hr_admin).post(f"/employer/mutations/{other_mutation.pk}/withdraw/")
    assert response.status_code == 404
    other_mutation.refresh_from_db()
    assert other_mutation.status == "submitted"
