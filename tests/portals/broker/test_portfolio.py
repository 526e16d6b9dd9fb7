"""The portfolio: search by client name or policy number (typed any way), filters, sort,
pagination, CSV/XLSX export through the toolkit; bad input never a 500."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from policies.broker_cache import portfolio_touch
from tests.portals.broker.conftest import policy_under

pytestmark = pytest.mark.django_db


@pytest.fixture
def book(agency, broker, policy, colleague_policy):
    policy_under(agency, broker, number="P-810010", first_name="Zoé", last_name="Zaugg",
                 product="Alpina Risque décès", status="paid_up")
    policy_under(agency, broker, number="P-810011", first_name="Adrien", last_name="Aebi",
                 product="Alpina Mixte 3b")
    return policy


def _rows(response) -> list[str]:
    return [row.object.number for row in response.context["listing"]["rows"]]


def test_it_lists_the_brokers_policies_sorted_by_client(as_user, broker, book):
    response = as_user(broker).get(reverse("broker:portfolio"))
    assert _rows(response) == ["P-810011", "P-810001", "P-810010"]
    page = response.content.decode()
    assert "P-810002" not in page  # the colleague's client
    assert 'href="/broker/policies/P-810001/"' in page
    assert "En retard" in page  # Vermeil has an overdue premium


@pytest.mark.parametrize("query", ["P-810010", "p810010", "p 810 010", "810010", "Zaugg",
                                   "zoé zaugg"])
def test_it_finds_a_policy_by_number_typed_any_way_or_by_name(as_user, broker, book, query):
    response = as_user(broker).get(reverse("broker:portfolio"), {"q": query})
    assert _rows(response) == ["P-810010"]


def test_filters_by_product_status_and_payment_state(as_user, broker, book):
    client = as_user(broker)
    url = reverse("broker:portfolio")
    assert _rows(client.get(url, {"product": "Alpina Mixte 3b"})) == ["P-810011"]
    assert _rows(client.get(url, {"status": "paid_up"})) == ["P-810010"]
    assert _rows(client.get(url, {"payment": "overdue"})) == ["P-810001"]
    assert _rows(client.get(url, {"payment": "ok"})) == ["P-810011", "P-810010"]


def test_the_product_filter_offers_only_the_portfolios_products(as_user, broker, book,
                                                               broker2_policy):
    broker2_policy.product = "Produit étranger"
    broker2_policy.save()
    page = as_user(broker).get(reverse("broker:portfolio")).content.decode()
    assert "Alpina Mixte 3b" in page and "Produit étranger" not in page


def test_sort_by_number_descending(as_user, broker, book):
    response = as_user(broker).get(reverse("broker:portfolio"), {"sort": "-number"})
    assert _rows(response) == ["P-810011", "P-810010", "P-810001"]


@pytest.mark.parametrize("params", [
    {"q": "x" * 10_000}, {"q": "' OR 1=1 --"}, {"q": "<script>alert(1)</script>"},
    {"q": "\x00"}, {"sort": "holder__password"}, {"sort": "-;drop"}, {"status": "nope"},
    {"product": "Autre"}, {"payment": "1"}, {"page": "-3"}, {"page": "99999"}, {"page": "abc"},
    {"unknown": "1"}, {"export": "exe"},
])
def test_bad_input_gets_a_page_never_a_500(as_user, broker, book, params):
    response = as_user(broker).get(reverse("broker:portfolio"), params)
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.content.decode()


def test_csv_export_holds_every_matching_row_and_nothing_else(as_user, broker, book):
    response = as_user(broker).get(reverse("broker:portfolio"), {"export": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("Police;Client;Produit")
    assert len(lines) == 4
    assert "P-810002" not in text
    assert "Vermeil Valérie" in text


def test_xlsx_export_keeps_numbers_as_numbers(as_user, broker, book):
    response = as_user(broker).get(reverse("broker:portfolio"), {"export": "xlsx", "q": "Vermeil"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][0] == "P-810001"
    assert float(rows[1][4]) == 250.0


def test_the_page_asks_the_same_number_of_queries_for_3_or_40_policies(as_user, broker, agency,
                                                                        book):
    client = as_user(broker)
    url = reverse("broker:portfolio")
    client.get(url)
    # Both measured pages are rendered afresh (the new policies below change the version too);
    # test_portfolio_cache.py counts the cached ones.
    portfolio_touch([agency.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(37):
        policy_under(agency, broker, number=f"P-84{i:04d}", first_name="N", last_name=f"C{i}")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert len(response.context["listing"]["rows"]) == 25
    assert len(many) == len(few)
