"""Payment status across the portfolio: premiums due, paid and overdue with the days overdue and
the dunning level, filters, totals of what is listed, exports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from policies.models import Premium
from tests.portals.broker.conftest import policy_under

pytestmark = pytest.mark.django_db


@pytest.fixture
def dunning(agency, broker, policy, colleague_policy):
    """One overdue premium at each dunning level (Vermeil's 2nd reminder comes from `policy`)."""
    today = timezone.localdate()
    other = policy_under(agency, broker, number="P-810030", first_name="Rita", last_name="Rappel")
    for level, days in ((0, 5), (1, 20), (3, 75)):
        Premium.objects.create(policy=other, due_date=today - timedelta(days=days),
                               amount=Decimal("100.00"), status="overdue", dunning_level=level)
    Premium.objects.create(policy=colleague_policy, due_date=today - timedelta(days=10),
                           amount=Decimal("999.00"), status="overdue", dunning_level=1)
    return other


def _rows(response):
    return [(p.policy.number, p.status, p.dunning_level)
            for p in (row.object for row in response.context["listing"]["rows"])]


def test_it_lists_the_brokers_premiums_with_days_overdue_and_dunning_level(as_user, broker,
                                                                           dunning):
    response = as_user(broker).get(reverse("broker:payments"), {"status": "overdue",
                                                                "sort": "due"})
    assert _rows(response) == [("P-810030", "overdue", 3), ("P-810001", "overdue", 2),
                               ("P-810030", "overdue", 1), ("P-810030", "overdue", 0)]
    page = response.content.decode()
    for text in ("Sommation (art. 20 LCA)", "2e rappel", "1er rappel", "Aucun rappel",
                 ">75<", ">40<", ">20<", ">5<"):
        assert text in page, text
    assert "P-810002" not in page  # the colleague's client


def test_totals_cover_the_whole_portfolio_not_one_page(as_user, broker, dunning):
    totals = as_user(broker).get(reverse("broker:payments")).context["totals"]
    assert (totals["overdue_count"], totals["overdue_amount"]) == (4, Decimal("550.00"))
    assert (totals["paid_count"], totals["paid_amount"]) == (1, Decimal("250.00"))
    assert (totals["due_count"], totals["due_amount"]) == (1, Decimal("250.00"))


def test_totals_follow_the_search_of_one_policy(as_user, broker, dunning):
    response = as_user(broker).get(reverse("broker:payments"), {"q": "p 810 030"})
    totals = response.context["totals"]
    assert (totals["overdue_count"], totals["overdue_amount"]) == (3, Decimal("300.00"))
    assert "Totaux de cette sélection" in response.content.decode()


def test_filter_by_dunning_level(as_user, broker, dunning):
    response = as_user(broker).get(reverse("broker:payments"), {"dunning": "3"})
    assert _rows(response) == [("P-810030", "overdue", 3)]


def test_the_agency_admin_sees_the_whole_agencys_premiums(as_user, agency_admin, dunning):
    totals = as_user(agency_admin).get(reverse("broker:payments")).context["totals"]
    assert totals["overdue_count"] == 5


def test_the_export_has_days_overdue_and_level(as_user, broker, dunning):
    response = as_user(broker).get(reverse("broker:payments"),
                                   {"export": "csv", "dunning": "3"})
    lines = b"".join(response.streaming_content).decode("utf-8-sig").strip().splitlines()
    assert lines[0].split(";")[-2:] == ["Jours de retard", "Niveau de rappel"]
    assert lines[1].split(";")[-2:] == ["75", "Sommation (art. 20 LCA)"]


@pytest.mark.parametrize("params", [{"dunning": "9"}, {"status": "'; --"}, {"sort": "x"},
                                    {"q": "é" * 5000}, {"page": "-1"}])
def test_bad_input_never_a_500(as_user, broker, dunning, params):
    assert as_user(broker).get(reverse("broker:payments"), params).status_code == 200
