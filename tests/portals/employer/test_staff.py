"""/employer/staff/: search by name, AHV number (with or without dots) or personnel number,
filters, sort, pagination, export of exactly the listed columns; the person's page."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policies.staff_cache import staff_touch
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(contract, staff_person):
    left = f.InsuredPersonFactory(contract=contract, first_name="Louis", last_name="Parti",
                                  status="left", entry_date=date(2018, 3, 1),
                                  exit_date=date(2024, 6, 30), personnel_number="P-99")
    return [staff_person, left]


def _rows(response) -> list[list[str]]:
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=";"))


def test_it_lists_only_the_companys_staff(as_user, hr_admin, staff, other_person):
    page = as_user(hr_admin).get("/employer/staff/").content.decode()
    assert "Favre Claire" in page and "Parti Louis" in page
    assert "Autre" not in page


@pytest.mark.parametrize("query", ["favre", "P-17", "{dotted}", "{digits}", "{prefix}"])
def test_it_finds_a_person_by_name_ahv_or_personnel_number(as_user, hr_admin, staff, query):
    person = staff[0]
    digits = person.ahv_number.replace(".", "")
    query = query.format(dotted=person.ahv_number, digits=digits, prefix=digits[:12])
    page = as_user(hr_admin).get("/employer/staff/", {"q": query}).content.decode()
    assert "Favre Claire" in page
    assert "Parti Louis" not in page


def test_it_never_finds_another_companys_person_by_ahv(as_user, hr_admin, staff, other_person):
    page = as_user(hr_admin).get("/employer/staff/", {"q": other_person.ahv_number})
    assert "Autre" not in page.content.decode()


def test_filters_status_and_exit_year(as_user, hr_admin, staff):
    client = as_user(hr_admin)
    page = client.get("/employer/staff/", {"status": "left"}).content.decode()
    assert "Parti Louis" in page and "Favre Claire" not in page
    page = client.get("/employer/staff/", {"left": "2024"}).content.decode()
    assert "Parti Louis" in page and "Favre Claire" not in page


def test_the_export_holds_exactly_the_listed_columns_of_every_matching_row(
        as_user, hr_admin, staff):
    response = as_user(hr_admin).get("/employer/staff/", {"status": "active", "export": "csv"})
    rows = _rows(response)
    assert rows[0] == ["Nom", "Numéro AVS", "N° de personnel", "Naissance", "Contrat", "Statut",
                       "Entrée", "Sortie", "Salaire annuel annoncé", "Taux (%)"]
    assert len(rows) == 2 and rows[1][0] == "Favre Claire" and rows[1][2] == "P-17"


def test_the_list_takes_the_same_number_of_queries_for_2_and_60_persons(
        as_user, hr_admin, contract, staff):
    client = as_user(hr_admin)
    client.get("/employer/staff/")
    # Both measured pages are rendered afresh (the new persons below change the version too);
    # test_staff_cache.py counts the cached ones.
    staff_touch([contract.employer_id])
    with CaptureQueriesContext(connection) as small:
        client.get("/employer/staff/")
    f.InsuredPersonFactory.create_batch(58, contract=contract)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/employer/staff/")
    assert response.context["listing"]["count"] == 60
    assert len(large) == len(small)


def test_the_person_page_shows_history_and_mutations(as_user, hr_admin, staff_person, mutation):
    from policies.services import mutation_book
    from tests.conftest import support_member

    mutation_book(mutation=mutation, by=support_member("s@example.ch"))
    page = as_user(hr_admin).get(f"/employer/staff/{staff_person.pk}/").content.decode()
    assert mutation.case_number in page and "90&#x27;000.00" in page


def test_another_companys_person_is_a_404(as_user, hr_admin, other_person):
    assert as_user(hr_admin).get(f"/employer/staff/{other_person.pk}/").status_code == 404


def test_names_are_escaped_in_the_list(as_user, hr_admin, contract):
    f.InsuredPersonFactory(contract=contract, last_name="<script>alert(1)</script>",
                           first_name='"Eve"')
    page = as_user(hr_admin).get("/employer/staff/").content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
