"""The staff overview's first pages come from the shared cache under a per-employer staff
version: a page asks no query on the staff whatever the company's size, every write that changes
what it lists shows on the next request, and one company's cached page never reaches another."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests import factories as f
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db

STAFF = "/employer/staff/"


def _page(client, params=None) -> str:
    response = client.get(STAFF, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_a_second_visit_reads_no_staff_and_the_same_queries_at_any_size(
        as_user, hr_admin, contract, staff_person):
    client = as_user(hr_admin)
    _page(client)
    with CaptureQueriesContext(connection) as few:
        page = _page(client)
    assert "Favre Claire" in page
    assert not any("policies_insuredperson" in q["sql"] for q in few.captured_queries)
    # Nor the contracts of the filter: no filter in the URL, no choices to check it against.
    assert not any("policies_contract" in q["sql"] for q in few.captured_queries)
    f.InsuredPersonFactory.create_batch(30, contract=contract)
    _page(client)
    with CaptureQueriesContext(connection) as many:
        page = _page(client)
    assert "31 lignes" in page
    assert len(many) == len(few)


def test_a_new_changed_or_deleted_person_shows_at_once(as_user, hr_admin, contract,
                                                       staff_person):
    client = as_user(hr_admin)
    assert "Nouveau Jean" not in _page(client)
    newcomer = f.InsuredPersonFactory(contract=contract, first_name="Jean", last_name="Nouveau")
    assert "Nouveau Jean" in _page(client)
    staff_person.last_name = "Favre-Rochat"
    staff_person.save()
    assert "Favre-Rochat Claire" in _page(client)
    newcomer.delete()
    assert "Nouveau Jean" not in _page(client)


def test_a_person_moved_to_another_company_leaves_the_first_list(
        as_user, hr_admin, other_employer_hr, other_employer, staff_person):
    client = as_user(hr_admin)
    other = login_verified(Client(), other_employer_hr)
    assert "Favre Claire" in _page(client)
    assert "Favre Claire" not in _page(other)
    staff_person.contract = f.ContractFactory(employer=other_employer)
    staff_person.save()
    assert "Favre Claire" not in _page(client)
    assert "Favre Claire" in _page(other)


def test_a_contract_renumbered_shows_at_once(as_user, hr_admin, contract, staff_person):
    client = as_user(hr_admin)
    assert "C-100001" in _page(client)
    contract.number = "C-100777"
    contract.save()
    assert "C-100777" in _page(client)


def test_each_sort_filter_and_page_is_its_own_entry(as_user, hr_admin, contract, staff_person):
    f.InsuredPersonFactory(contract=contract, first_name="Louis", last_name="Parti",
                           status="left")
    client = as_user(hr_admin)
    assert _page(client).index("Favre Claire") < _page(client).index("Parti Louis")
    descending = _page(client, {"sort": "-name"})
    assert descending.index("Parti Louis") < descending.index("Favre Claire")
    left = _page(client, {"status": "left"})
    assert "Parti Louis" in left and "Favre Claire" not in left


def test_another_company_never_gets_this_company_s_cached_page(
        as_user, hr_admin, other_employer_hr, other_employer, staff_person):
    f.InsuredPersonFactory(contract=f.ContractFactory(employer=other_employer),
                           first_name="Otto", last_name="Autre")
    assert "Favre Claire" in _page(as_user(hr_admin))
    page = _page(login_verified(Client(), other_employer_hr))
    assert "Autre Otto" in page and "Favre Claire" not in page


def test_the_header_names_the_company_from_the_cache_and_follows_a_rename(
        as_user, hr_admin, employer, staff_person):
    client = as_user(hr_admin)
    assert "Boulangerie Test SA" in _page(client)
    with CaptureQueriesContext(connection) as queries:
        _page(client)
    assert not any("policies_employer" in q["sql"] for q in queries.captured_queries)
    employer.name = "Boulangerie Nouvelle SA"
    employer.save()
    assert "Boulangerie Nouvelle SA" in _page(client)
