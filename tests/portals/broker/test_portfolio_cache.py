"""The portfolio list comes from the shared cache under a per-agency data version: every write
that changes a row (policy, holder, overdue premium, mandate) shows on the next request, a
cached list never reaches a broker of another scope, and a cached page asks as few queries for
a large portfolio as for a small one."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from policies.models import Mandate, Premium

from .conftest import policy_under

pytestmark = pytest.mark.django_db

URL = reverse("broker:portfolio")


def _page(client, params=None) -> str:
    response = client.get(URL, params or {})
    assert response.status_code == 200
    return response.content.decode()


def test_a_cached_page_asks_the_same_few_queries_for_3_or_40_policies(as_user, broker, agency,
                                                                      policy):
    client = as_user(broker)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(39):
        policy_under(agency, broker, number=f"P-84{i:04d}", first_name="N", last_name=f"C{i}")
    client.get(URL)
    with CaptureQueriesContext(connection) as many:
        page = _page(client)
    assert "40 polices" in page
    assert len(many) == len(few)
    assert not any("policies_policy" in q["sql"] for q in many.captured_queries)


def test_a_new_mandate_shows_at_once(as_user, broker, agency, policy):
    client = as_user(broker)
    assert "P-810077" not in _page(client)
    policy_under(agency, broker, number="P-810077", first_name="Nina", last_name="Neuve")
    page = _page(client)
    assert "P-810077" in page and "Neuve Nina" in page


def test_an_ended_or_deleted_mandate_leaves_at_once(as_user, broker, agency, policy):
    other = policy_under(agency, broker, number="P-810078", first_name="Olga", last_name="Partie")
    client = as_user(broker)
    assert "P-810078" in _page(client) and "P-810001" in _page(client)
    mandate = Mandate.objects.get(policy=other, agency=agency)
    mandate.end_date = timezone.localdate() - timedelta(days=1)
    mandate.save()
    assert "P-810078" not in _page(client)
    Mandate.objects.get(policy=policy, agency=agency).delete()
    assert "P-810001" not in _page(client)


def test_a_mandate_given_to_a_colleague_leaves_the_brokers_list(as_user, broker, agency, policy,
                                                                colleague_broker):
    client = as_user(broker)
    assert "P-810001" in _page(client)
    mandate = Mandate.objects.get(policy=policy, agency=agency)
    mandate.broker = colleague_broker
    mandate.save()
    assert "P-810001" not in _page(client)
    assert "P-810001" in _page(as_user(colleague_broker))


def test_a_policy_change_shows_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "Alpina Mixte 3b" not in _page(client)
    policy.product = "Alpina Mixte 3b"
    policy.save()
    assert "Alpina Mixte 3b" in _page(client)


def test_a_renamed_client_shows_at_once(as_user, broker, policy):
    client = as_user(broker)
    assert "Vermeil Valérie" in _page(client)
    holder = policy.holder
    holder.last_name = "Vermeil-Neuf"
    holder.save()
    assert "Vermeil-Neuf Valérie" in _page(client)


def test_overdue_marks_follow_the_premiums(as_user, broker, policy):
    client = as_user(broker)
    assert "status-overdue" in _page(client)
    premium = policy.premiums.get(status="overdue")
    premium.status, premium.paid_date = "paid", timezone.localdate()
    premium.save()
    assert "status-overdue" not in _page(client)
    Premium.objects.create(policy=policy, due_date=timezone.localdate() - timedelta(days=3),
                           amount=Decimal("250.00"), status="overdue")
    assert "status-overdue" in _page(client)
    policy.premiums.filter(status="overdue").get().delete()
    assert "status-overdue" not in _page(client)


def test_each_sort_filter_and_page_has_its_own_list(as_user, broker, agency, policy):
    for i in range(30):
        policy_under(agency, broker, number=f"P-85{i:04d}", first_name="N", last_name=f"C{i:02d}")
    client = as_user(broker)
    first, second = _page(client), _page(client, {"page": 2})
    assert first != second
    assert "P-850000" in first and "P-850000" not in second
    assert _page(client, {"sort": "-number"}) != first
    assert "P-810001" in _page(client, {"payment": "overdue"})
    assert "P-850000" not in _page(client, {"payment": "overdue"})


def test_a_list_cached_for_one_scope_is_not_shown_to_another(as_user, broker, agency_admin,
                                                             broker2, policy, colleague_policy,
                                                             broker2_policy):
    mine = _page(as_user(broker))
    assert "P-810001" in mine and "P-810002" not in mine
    agency_wide = _page(as_user(agency_admin))
    assert "P-810001" in agency_wide and "P-810002" in agency_wide
    foreign = _page(as_user(broker2))
    assert "P-820001" in foreign and "P-810001" not in foreign
    assert "P-810002" not in _page(as_user(broker))


def test_a_mandate_that_starts_tomorrow_shows_tomorrow(as_user, broker, agency, policy,
                                                       monkeypatch):
    later = policy_under(agency, broker, number="P-810079", first_name="Theo", last_name="Demain")
    Mandate.objects.filter(policy=later).update(
        start_date=timezone.localdate() + timedelta(days=1))
    client = as_user(broker)
    assert "P-810079" not in _page(client)
    tomorrow = timezone.localdate() + timedelta(days=1)
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: tomorrow)
    assert "P-810079" in _page(client)
