"""Policy inquiry by number: the two tabs (contract details; values with chart, history and a
PDF), the number typed any way, and bad input answered with a sentence."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.pdf_text import pdf_pages_text

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["P-810001", "p810001", "P 810 001", "810001", " p.810.001 "])
def test_the_number_typed_any_way_opens_the_policy(as_user, broker, policy, typed):
    client = as_user(broker)
    response = client.get(reverse("broker:inquiry"), {"number": typed})
    assert response.status_code == 302
    assert response["Location"] == "/broker/policies/P-810001/"
    assert client.get(response["Location"]).status_code == 200


def test_the_values_button_opens_the_values_tab(as_user, broker, policy):
    response = as_user(broker).get(reverse("broker:inquiry"),
                                   {"number": "P810001", "tab": "values"})
    assert response["Location"] == "/broker/policies/P-810001/values/"


@pytest.mark.parametrize("typed,message", [
    ("", "Saisissez le numéro de police."),
    ("abc", "Ce n&#x27;est pas un numéro de police"),
    ("' OR 1=1 --", "Ce n&#x27;est pas un numéro de police"),
    ("<script>alert(1)</script>", "Ce n&#x27;est pas un numéro de police"),
    ("P" * 10_000, "au plus 40 caractères"),
])
def test_a_malformed_number_gets_a_clear_message(as_user, broker, typed, message):
    response = as_user(broker).get(reverse("broker:inquiry"), {"number": typed, "tab": "x"})
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "<script>alert(1)" not in page


def test_the_details_tab_shows_the_contract(as_user, broker, policy, agency):
    from tests import factories as f

    policy.insured = f.PolicyHolderFactory(first_name="Lina", last_name="Assurée")
    policy.save()
    response = as_user(broker).get(reverse("broker:policy", args=["P-810001"]))
    page = response.content.decode()
    for text in ("Alpina Épargne 3a", "Valérie Vermeil", "Lina Assurée", "01.06.2019",
                 "31.12.2040", "CHF 250.00", "(mensuelle)", "CHF 150&#x27;000.00",
                 "Marc Vermeil", "Conjoint", "100 %", "En vigueur", 'aria-current="page"'):
        assert text in page, text
    # Payment status of the policy, with the dunning level and the days overdue.
    assert "2e rappel" in page and ">40<" in page


def test_the_values_tab_shows_the_current_value_history_and_chart(as_user, broker, policy):
    response = as_user(broker).get(reverse("broker:policy-values", args=["P-810001"]))
    page = response.content.decode()
    assert "CHF 12&#x27;780.25" in page and "Date de référence : 31.12.2024" in page
    assert '<svg class="chart"' in page and "<polyline" in page
    assert page.index("31.12.2024") < page.index("31.12.2021")  # newest first in the table
    assert 'href="/broker/policies/P-810001/valuation.pdf"' in page


def test_a_policy_without_values_says_so(as_user, broker, agency):
    from tests.portals.broker.conftest import policy_under

    policy_under(agency, broker, number="P-810020", first_name="Nia", last_name="Neuve")
    page = as_user(broker).get(reverse("broker:policy-values", args=["P-810020"])).content
    assert "Aucune valeur de rachat" in page.decode()
    assert b"<svg class=\"chart\"" not in page


def test_the_valuation_statement_is_a_pdf_with_the_value(as_user, broker, policy):
    response = as_user(broker).get(reverse("broker:policy-valuation-pdf", args=["P-810001"]))
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="valeur-de-rachat-P-810001.pdf"' in response["Content-Disposition"]
    text = " ".join(pdf_pages_text(response.content))
    assert "P-810001" in text and "CHF 12'780.25" in text and "31.12.2024" in text


def test_a_number_in_the_url_typed_without_separators_is_the_same_policy(as_user, broker,
                                                                          policy):
    assert as_user(broker).get("/broker/policies/p810001/").status_code == 200
