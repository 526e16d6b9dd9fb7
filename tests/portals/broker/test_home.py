"""The dashboard's tiles: policy inquiry field, clients, overdue payments, new documents, last
commission statement, the account manager from the agency record."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_tiles_show_the_brokers_own_figures(as_user, broker, policy, document, statement,
                                                colleague_policy):
    response = as_user(broker).get(reverse("broker:home"))
    assert response.status_code == 200
    counts = response.context["counts"]
    assert (counts["policies"], counts["clients"]) == (1, 1)
    assert (counts["overdue_count"], counts["overdue_amount"]) == (1, Decimal("250.00"))
    assert counts["new_documents"] == 1
    assert counts["last_statement"] == statement
    page = response.content.decode()
    assert 'action="/broker/inquiry/"' in page and 'name="number"' in page
    assert "CHF 250.00" in page
    assert "Yves Morel" in page and "y.morel@example.ch" in page and "tel:+41215556697" in page


def test_the_agency_admin_tiles_count_the_whole_agency(as_user, agency_admin, policy,
                                                       colleague_policy):
    counts = as_user(agency_admin).get(reverse("broker:home")).context["counts"]
    assert (counts["policies"], counts["clients"]) == (2, 2)


def test_a_broker_without_clients_gets_empty_tiles_not_an_error(as_user, broker2):
    response = as_user(broker2).get(reverse("broker:home"))
    assert response.status_code == 200
    assert "Aucun décompte pour le moment." in response.content.decode()


def test_the_dashboard_asks_a_fixed_number_of_queries(as_user, broker, agency, policy,
                                                      django_assert_max_num_queries):
    from tests.portals.broker.conftest import policy_under

    client = as_user(broker)
    client.get(reverse("broker:home"))
    for i in range(20):
        policy_under(agency, broker, number=f"P-83{i:04d}", first_name="N", last_name=f"C{i}")
    with django_assert_max_num_queries(14):
        client.get(reverse("broker:home"))


@pytest.mark.parametrize("language,expected", [("de", "Policenauskunft"),
                                               ("it", "Informazioni sulla polizza"),
                                               ("en", "Policy inquiry")])
def test_the_dashboard_speaks_the_chosen_language(as_user, broker, policy, language, expected):
    client = as_user(broker)
    client.cookies["django_language"] = language
    assert expected in client.get(reverse("broker:home")).content.decode()
